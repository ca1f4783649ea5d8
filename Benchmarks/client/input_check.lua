-- The model-input check's cost (Benchmarks/run.sh), in two ways. CPU from os.clock(): the whole
-- process (the VM thread and the client's). Blocks with the check and with validate = false
-- alternate, so both see the same machine.
--
-- `run`: N whole runs of a model whose schema is already looked up (each one a create and its
-- answer from the simulator), checked and unchecked.
--   usage: REPLICATE_URL=… REPLICATE_API_TOKEN=x kosmo-lua --allow run input_check.lua N run
--
-- `alone`: the check by itself, through the real call pipeline. The process runs with
-- `--max-predictions 0`, so every call passes every stage up to the budget (arguments, the
-- catalog's checks, the input check, authorization) and is refused there, before any request:
-- the difference between the two modes is the input check alone (the directory hit and
-- ModelInterface.problems), with no network in either. The model is stability-ai/sdxl with all
-- of its eight inputs but the file given, one of them checked against its choices.
--   usage: REPLICATE_URL=… REPLICATE_API_TOKEN=x kosmo-lua --allow run --max-predictions 0 input_check.lua N alone
local n = math.tointeger(tonumber(arg[1]))
local mode = arg[2] or "run"
assert(n and n >= 20 and (mode == "run" or mode == "alone"), "usage: input_check.lua N (at least 20) [run|alone]")

local ref, input, call
if mode == "run" then
  ref = "replicate/hello-world:5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa"
  input = {text = "kosmo"}
  call = function(opts)
    local out = replicate.run(ref, input, opts)
    if out ~= "hello kosmo" then error("unexpected output " .. tostring(out)) end
  end
else
  ref = "stability-ai/sdxl"
  input = {prompt = "an astronaut riding a horse", width = 768, height = 1024, num_outputs = 2,
           seed = 42, output_format = "png", scheduler = "K_EULER"}
  call = function(opts)
    local ok, err = pcall(replicate.run, ref, input, opts)
    if ok or err.kind ~= "limit" then error("expected the budget's refusal, got " .. tostring(err)) end
  end
end

-- The first calls look the model and its schema up; every later one finds them cached.
call({validate = true})
call({validate = false})
local blocks = 20
local per_block = n // blocks
local cpu = {checked = 0, unchecked = 0}
for b = 1, blocks do
  local order = b % 2 == 0 and {"checked", "unchecked"} or {"unchecked", "checked"}
  for _, which in ipairs(order) do
    local opts = {validate = which == "checked"}
    local started = os.clock()
    for _ = 1, per_block do call(opts) end
    cpu[which] = cpu[which] + (os.clock() - started)
  end
end
local runs = per_block * blocks
print(json.encode{mode = mode, runs = runs, checked_cpu_us = cpu.checked / runs * 1e6, unchecked_cpu_us = cpu.unchecked / runs * 1e6})
