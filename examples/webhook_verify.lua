-- Verify a webhook's signature, as a webhook handler must before trusting the body.
--
--   kosmo-lua --sim examples/webhook_verify.lua
-- A delivery is signed with your account's webhook secret (Standard Webhooks: HMAC-SHA256
-- over "id.timestamp.body"). Here we build one the way Replicate would, then check it.
local secret = replicate.get_default_webhook_secret().key

local body = json.encode { id = "p1x2y3", status = "succeeded", output = "hello webhook" }
local id, timestamp = "msg_example", os.time()
local headers = {
  ["webhook-id"] = id,
  ["webhook-timestamp"] = tostring(timestamp),
  ["webhook-signature"] = replicate.webhooks.sign { id = id, timestamp = timestamp, body = body, secret = secret },
}

print("genuine delivery verifies: " .. tostring(replicate.webhooks.verify { headers = headers, body = body, secret = secret }))
print("tampered body verifies: " .. tostring(replicate.webhooks.verify { headers = headers, body = body:gsub("hello", "HELLO"), secret = secret }))
-- Without `secret`, verify fetches the account's default secret itself:
print("with the fetched secret: " .. tostring(replicate.webhooks.verify { headers = headers, body = body }))
