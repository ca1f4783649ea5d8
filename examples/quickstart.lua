-- Quickstart: run a model and print what it returns.
--
--   kosmo-lua --sim --allow run examples/quickstart.lua [name]
--
-- `replicate.run` is a write (it creates a prediction, which costs money on the real service),
-- so the policy asks first; `--allow run` allows just this function. Drop `--sim` and set
-- REPLICATE_API_TOKEN to run it for real.
local name = arg and arg[1] or "world"
local output = replicate.run(
  "replicate/hello-world:5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa",
  { text = name })
print(output)
