-- A large batch: N runs of sim/slow {seconds = 1} at concurrency C (Benchmarks/batch/run.sh).
-- usage: REPLICATE_URL=… REPLICATE_API_TOKEN=x kosmo-lua --allow run batch.lua N C
local n = math.tointeger(tonumber(arg[1])) or 1000
local c = math.tointeger(tonumber(arg[2])) or n
local items = {}
for i = 1, n do items[i] = i end
local started = os.time()
local outputs = replicate.map(items, function()
  return replicate.run("sim/slow", { seconds = 1 })
end, { concurrency = c })
assert(#outputs == n, "expected " .. n .. " outputs, got " .. #outputs)
print(#outputs)
