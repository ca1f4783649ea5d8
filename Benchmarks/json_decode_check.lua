-- Semantics of json.decode, printed case by case so two builds can be diffed (run before and
-- after any change to Sources/LuaHost/JSONToLua.swift):
--   kosmo-lua Benchmarks/json_decode_check.lua > before.txt   ...   diff before.txt after.txt
-- Also asserts the Values table rules it can check by itself.
local function show(v, depth)
  depth = depth or 0
  local t = type(v)
  if v == json.null then return "json.null" end
  if t == "table" then
    local mt = getmetatable(v)
    local parts = {}
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
    for _, k in ipairs(keys) do parts[#parts + 1] = tostring(k) .. "=" .. show(v[k], depth + 1) end
    return (mt and (mt.__name or "?") or "table") .. "{" .. table.concat(parts, ",") .. "}"
  elseif math.type(v) == "integer" then return "integer:" .. string.format("%d", v)
  elseif t == "number" then return "float:" .. string.format("%.17g", v)
  elseif t == "string" then return string.format("%q", v)
  else return t .. ":" .. tostring(v) end
end

local cases = {
  "[]", "{}", "[1,null,3]", '{"a":null,"b":1}', "1", "1.0", "-0", "-0.0", "1e2", "1E-2", "9007199254740993",
  "9223372036854775807", "-9223372036854775808", "9223372036854775808", "123456789012345678901234567890",
  '"plain"', '"caf\\u00e9"', '"\\ud83d\\ude00"', '"\\"\\\\\\/\\b\\f\\n\\r\\t"', '"run \\n between \\" escapes\\\\ end"',
  '"raw é 東京 😀 then \\u001b[0m"', '"\\u0000"', '"\\ud83d"', '"\\ude00"', '"\\ud83dx"', '"\\u12"', '"\\x"',
  '"abc', '"abc\\', '"a\tb"', '"\255"', '"\192\128"', '"\237\160\128"', "[1,2,]", "[1 2]", '{"a" 1}', '{"a":1,}',
  '{1:2}', "tru", "nul", "01", "-", "1.", ".5", "1e", "[1] x", "  [ 1 , { \"k\" : [ ] } ]  ", "\n\n  [1,\n  @]",
  '{"a":{"b":[{"c":null},[null,null]]}}', '"\\n\255"', '"\\na\tb"', '"x\\ny', '"x\\n\\u00e9\\ud83d\\ude00 \195\169"', "true", "false", "null", "",
}
for i, text in ipairs(cases) do
  local ok, v = pcall(json.decode, text)
  print(i, string.format("%q", text), ok and show(v) or ("error: " .. tostring(v)))
end
local ok, v = pcall(json.decode, '{"a":null,"b":[null]}', {nulls = json.null})
print("keep-nulls", ok and show(v) or ("error: " .. tostring(v)))

-- Depth: 200 levels decode, 201 do not.
local ok200 = pcall(json.decode, string.rep("[", 200) .. string.rep("]", 200))
local ok201, e201 = pcall(json.decode, string.rep("[", 201) .. string.rep("]", 201))
print("depth200", ok200, "depth201", ok201, e201)
assert(ok200 and not ok201)

-- Rules from the Values table.
assert(getmetatable(json.decode("[]")) ~= nil and getmetatable(json.decode("{}")) == nil)
assert(json.decode("[1,null]")[2] == json.null)
assert(json.decode('{"a":null}').a == nil)
assert(json.decode('{"a":null}', {nulls = json.null}).a == json.null)
assert(math.type(json.decode("1")) == "integer" and math.type(json.decode("1.0")) == "float")
assert(json.decode("9007199254740993") == 9007199254740993)
assert(json.decode('"\\ud83d\\ude00"') == "😀")
assert(not pcall(json.decode, '"\255"'))

-- A special byte at every position of strings up to 24 bytes (the word-at-a-time scans), before
-- and after an escape; error messages (with their columns) printed for diffing.
local checked = 0
for len = 1, 24 do
  local errors = {}
  for p = 1, len do
    local pre, post = string.rep("a", p - 1), string.rep("b", len - p)
    assert(json.decode('"' .. pre .. '\\n' .. post .. '"') == pre .. "\n" .. post)
    assert(json.decode('"' .. pre .. '\\"' .. post .. '"') == pre .. '"' .. post)
    assert(json.decode('"' .. pre .. 'é' .. post .. '"') == pre .. "é" .. post)
    assert(json.decode('"' .. pre .. ' ' .. post .. '"') == pre .. " " .. post)
    assert(json.decode('"' .. pre .. '\127' .. post .. '"') == pre .. "\127" .. post)
    assert(json.decode('"\\t' .. pre .. 'é' .. post .. '"') == "\t" .. pre .. "é" .. post)
    for _, bad in ipairs({ '"' .. pre .. '\1' .. post .. '"', '"' .. pre .. '\31' .. post .. '"',
                           '"' .. pre .. '\255' .. post .. '"', '"\\t' .. pre .. '\1' .. post .. '"',
                           '"\\t' .. pre .. '\255' .. post .. '"', '"' .. pre .. post, '"\\t' .. pre .. post }) do
      local ok, e = pcall(json.decode, bad)
      assert(not ok)
      errors[#errors + 1] = e:match("[^:]*$")
    end
    checked = checked + 1
  end
  print("len", len, table.concat(errors, ";"))
end
print("positions checked", checked)

-- The stack is left as it was: many decodes in one call frame, errors in between.
for _ = 1, 1000 do pcall(json.decode, '[1,{"a":[2,"x\\n"]}'); json.decode('[1,{"a":[2,"x\\n"]}]') end
print("stack ok")
