-- Fine-tune: train a model version into a model of your own, then run the new version.
--
--   kosmo-lua --sim --write allow examples/fine_tune.lua
local account = replicate.get_account()
local base = replicate.get_model("sim/trainable")
local destination = account.username .. "/my-trained-model"

-- The destination model must exist; create it the first time.
local ok = pcall(replicate.get_model, destination)
if not ok then
  replicate.create_model { owner = account.username, name = "my-trained-model", visibility = "private", hardware = "cpu" }
  print("created " .. destination)
end

local training = replicate.create_training {
  model_owner = base.owner, model_name = base.name, version_id = base.latest_version.id,
  destination = destination,
  input = { steps = 5 },
}
print("training " .. training.id .. " " .. training.status)

training = replicate.wait(training)
if training.status ~= "succeeded" then error("training " .. training.status .. ": " .. tostring(training.error)) end
print("new version: " .. training.output.version)

print(replicate.run(training.output.version, { prompt = "hello from my fine-tune" }))
