-- The model-input check's cost (Benchmarks/run.sh): N runs of a model whose schema is already
-- looked up, checked and with validate = false, alternating in blocks so both see the same
-- machine. CPU per run from os.clock(): the whole process (the VM thread and the client's).
-- usage: REPLICATE_URL=http://127.0.0.1:PORT/v1 REPLICATE_API_TOKEN=x kosmo-lua --allow run input_check.lua N
local n = math.tointeger(tonumber(arg[1]))
assert(n and n >= 20, "usage: input_check.lua N (at least 20)")
local ref = "replicate/hello-world:5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa"
-- The first run looks the schema up; every later one finds it cached.
replicate.run(ref, {text = "warm-up"})
replicate.run(ref, {text = "warm-up"}, {validate = false})
local blocks = 20
local per_block = n // blocks
local cpu = {checked = 0, unchecked = 0}
for b = 1, blocks do
  local order = b % 2 == 0 and {"checked", "unchecked"} or {"unchecked", "checked"}
  for _, mode in ipairs(order) do
    local opts = {validate = mode == "checked"}
    local started = os.clock()
    for _ = 1, per_block do
      local out = replicate.run(ref, {text = "kosmo"}, opts)
      if out ~= "hello kosmo" then error("unexpected output " .. tostring(out)) end
    end
    cpu[mode] = cpu[mode] + (os.clock() - started)
  end
end
local runs = per_block * blocks
print(json.encode{runs = runs, checked_cpu_us = cpu.checked / runs * 1e6, unchecked_cpu_us = cpu.unchecked / runs * 1e6})
