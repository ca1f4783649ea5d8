-- 1,000 sequential replicate.get_prediction calls (Benchmarks/run.sh).
-- usage: REPLICATE_URL=http://127.0.0.1:PORT/v1 REPLICATE_API_TOKEN=x kosmo-lua get_prediction.lua ID N
local id, n = arg[1], math.tointeger(tonumber(arg[2]))
assert(id and n, "usage: get_prediction.lua ID N")
for _ = 1, n do
  local p = replicate.get_prediction(id)
  if p.id ~= id then error("got prediction " .. tostring(p.id)) end
end
print(n)
