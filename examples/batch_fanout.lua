-- Fan out: run one model over many inputs at once with replicate.map.
--
--   kosmo-lua --sim --allow run examples/batch_fanout.lua
--
-- Each call runs as a task; while one waits for the API the others go on, so ten one-second
-- predictions take about one second, not ten.
local HELLO = "replicate/hello-world:5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa"
local names = { "Ada", "Grace", "Edsger", "Barbara", "Donald", "Frances", "John", "Margaret", "Niklaus", "Radia" }

local started = os.clock()
local greetings, errors = replicate.map(names, function(name)
  return replicate.run(HELLO, { text = name })
end, { concurrency = 10, return_errors = true })

for i, name in ipairs(names) do
  if errors[i] then
    print(("%-9s failed: %s"):format(name, tostring(errors[i])))
  else
    print(("%-9s %s"):format(name, greetings[i]))
  end
end
print(("%d runs, %.0f ms of Lua CPU time"):format(#names, (os.clock() - started) * 1000))
