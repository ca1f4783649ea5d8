-- The one loop every host-call benchmark runs (plain lua5.4, the kosmo-lua VM, lupa), so the
-- runtimes differ only in what `f` is. Returns a function measure(f, n, reps) -> median, min, max
-- in nanoseconds per call, the cost of an empty loop of the same length subtracted each time.
local clock = os.clock
local sort = table.sort

return function(f, n, reps)
  local s = "x"
  local samples = {}
  for r = 1, reps do
    local t0 = clock()
    for _ = 1, n do f(s) end
    local t1 = clock()
    for _ = 1, n do end
    local t2 = clock()
    samples[r] = ((t1 - t0) - (t2 - t1)) * 1e9 / n
  end
  sort(samples)
  local median
  if reps % 2 == 1 then median = samples[(reps + 1) // 2]
  else median = (samples[reps // 2] + samples[reps // 2 + 1]) / 2 end
  return median, samples[1], samples[reps]
end
