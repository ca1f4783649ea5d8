-- Fan-out: N runs of sim/slow {seconds = 1}, all at once (Benchmarks/run.sh).
-- usage: REPLICATE_URL=… REPLICATE_API_TOKEN=x kosmo-lua --allow run fanout.lua N
local n = math.tointeger(tonumber(arg[1])) or 100
local items = {}
for i = 1, n do items[i] = i end
local outputs = replicate.map(items, function()
  return replicate.run("sim/slow", { seconds = 1 })
end, { concurrency = n })
assert(#outputs == n, "expected " .. n .. " outputs, got " .. #outputs)
print(#outputs)
