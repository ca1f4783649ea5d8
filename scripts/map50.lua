-- Fifty image runs through replicate.map, ten at a time, and one that fails: the report's
-- lanes and a failure in red. Used by scripts/report-example.sh and the report tests.
local prompts = {}
for i = 1, 50 do prompts[i] = ("a llama on a mountain, study %d"):format(i) end
local images, errors = replicate.map(prompts, function(prompt)
  return replicate.run("black-forest-labs/flux-schnell", { prompt = prompt, num_outputs = 1 })
end, { concurrency = 10, return_errors = true })
local ok = 0
for i = 1, #prompts do if not errors[i] then ok = ok + 1 end end
print(("%d of %d runs made images"):format(ok, #prompts))
local failed = pcall(replicate.run, "sim/fail", { message = "a failure, to show in red" })
print(failed and "sim/fail succeeded?" or "sim/fail failed, as it should")
