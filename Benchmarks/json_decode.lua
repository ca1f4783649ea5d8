-- JSON document -> Lua tables, the same loop for kosmo-lua's json.decode and lua-cjson.
-- usage: kosmo-lua json_decode.lua kosmo PATH ITERATIONS
--        lua5.4    json_decode.lua cjson PATH ITERATIONS
-- Prints one JSON object: decode time per iteration in ms (median, min, max of os.clock CPU
-- time, a full collection before each one and outside the timing), the Lua heap the decoded
-- document holds, and a digest of its contents so the two decoders can be checked against
-- each other (object members that are null are left out of the digest: kosmo-lua drops them,
-- cjson keeps them as cjson.null).
local impl, path, iterations = arg[1], arg[2], math.tointeger(tonumber(arg[3]))
assert(impl and path and iterations, "usage: json_decode.lua kosmo|cjson PATH ITERATIONS")

local decode
if impl == "kosmo" then
  assert(type(json) == "table" and json.decode, "json.decode is missing: run this under kosmo-lua")
  decode = json.decode
elseif impl == "cjson" then
  local ok, cjson = pcall(require, "cjson")
  if not ok then error("lua-cjson is missing (Debian package lua-cjson): " .. tostring(cjson)) end
  decode = cjson.decode
else
  error("unknown decoder " .. tostring(impl))
end

local f = assert(io.open(path, "rb"))
local text = f:read("a")
f:close()

-- ITERATIONS = 0: read the file and stop (the baseline for peak memory).
if iterations == 0 then
  io.write(string.format('{"impl":"%s","bytes":%d,"iterations":0}\n', impl, #text))
  return
end

local clock = os.clock
local samples, doc = {}, nil
for i = 1, iterations do
  doc = nil
  collectgarbage("collect")
  local t0 = clock()
  doc = decode(text)
  samples[i] = (clock() - t0) * 1e3
end
collectgarbage("collect")
local before = collectgarbage("count")
doc = nil
collectgarbage("collect")
local heapKB = before - collectgarbage("count")
doc = decode(text)

local tables, strings, stringBytes, numbers, numberSum, booleans, arrayNulls = 0, 0, 0, 0, 0, 0, 0
local function walk(v)
  local t = type(v)
  if t == "table" then
    tables = tables + 1
    for k, x in pairs(v) do
      if type(k) == "string" then
        if type(x) ~= "userdata" then strings = strings + 1; stringBytes = stringBytes + #k; walk(x) end
      elseif type(x) == "userdata" then arrayNulls = arrayNulls + 1
      else walk(x) end
    end
  elseif t == "string" then strings = strings + 1; stringBytes = stringBytes + #v
  elseif t == "number" then numbers = numbers + 1; numberSum = numberSum + math.floor(v)
  elseif t == "boolean" then booleans = booleans + 1 end
end
walk(doc)

local raw = {}
for i, ms in ipairs(samples) do raw[i] = string.format("%.3f", ms) end
table.sort(samples)
local n = #samples
local median = n % 2 == 1 and samples[(n + 1) // 2] or (samples[n // 2] + samples[n // 2 + 1]) / 2
io.write(string.format(
  '{"impl":"%s","bytes":%d,"iterations":%d,"ms_median":%.3f,"ms_min":%.3f,"ms_max":%.3f,"mb_per_s":%.1f,' ..
  '"heap_kb":%.0f,"samples_ms":[%s],' ..
  '"digest":"tables=%d strings=%d string_bytes=%d numbers=%d number_sum=%d booleans=%d array_nulls=%d"}\n',
  impl, #text, iterations, median, samples[1], samples[n], #text / 1048576 / (median / 1e3),
  heapKB, table.concat(raw, ","), tables, strings, stringBytes, numbers, math.tointeger(numberSum) or 0, booleans, arrayNulls))
