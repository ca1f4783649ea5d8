-- Host-call baseline in plain lua5.4: a trivial C function (rawlen) through the same loop.
-- usage: lua5.4 hostcall_lua54.lua HOSTCALL_LUA N REPS   (prints one JSON object)
local path, n, reps = arg[1], math.tointeger(tonumber(arg[2])), math.tointeger(tonumber(arg[3]))
local measure = dofile(path)
local median, min, max = measure(rawlen, n, reps)
io.write(string.format('{"runtime":"lua5.4","function":"rawlen (C)","n":%d,"reps":%d,"ns_median":%.3f,"ns_min":%.3f,"ns_max":%.3f}\n',
  n, reps, median, min, max))
