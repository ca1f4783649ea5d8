-- pretty: readable, nested rendering of Lua values for the REPL (and for scripts:
-- `local pretty = require "pretty"; print(pretty.format(t))`).
-- Cycles print as <cycle: table: 0x...>; keys are sorted; short tables stay on one line.
local pretty = {}

-- Captured once, so a script that rebinds a global (`type = nil`, `table = {}`) cannot break the
-- REPL's printer or `pretty.format` for the rest of the session.
local type, tostring, rawget, select, next, ipairs, getmetatable = type, tostring, rawget, select, next, ipairs, getmetatable
local string, table, math, json = string, table, math, json

local colors = {
  string = "\27[32m", number = "\27[33m", boolean = "\27[35m", ["nil"] = "\27[2m",
  key = "\27[36m", other = "\27[34m", reset = "\27[0m",
}

local function is_identifier(s)
  return type(s) == "string" and s:match("^[%a_][%w_]*$") ~= nil
end

local function key_order(a, b)
  local ta, tb = type(a), type(b)
  if ta == tb and (ta == "number" or ta == "string") then return a < b end
  if ta == "number" then return true end
  if tb == "number" then return false end
  return tostring(a) < tostring(b)
end

local function paint(color, text, on)
  if not on then return text end
  return (colors[color] or colors.other) .. text .. colors.reset
end

-- Whether tostring(v) says more than its address: a `__tostring`. A host value's metatable is
-- protected and getmetatable gives its type name instead ("replicate.error"), so for those the
-- text itself tells: the default is "<name>: 0x…".
local function has_own_tostring(v)
  local mt = getmetatable(v)
  if type(mt) == "table" then return rawget(mt, "__tostring") ~= nil end
  if type(mt) == "string" then
    local text = tostring(v)
    return type(text) == "string" and text:sub(1, #mt + 2) ~= mt .. ": "
  end
  return false
end

local function scalar(v, on)
  local t = type(v)
  if t == "string" then return paint("string", string.format("%q", v):gsub("\\\n", "\\n"), on) end
  if t == "number" or t == "boolean" or t == "nil" then return paint(t, tostring(v), on) end
  if t == "userdata" and json and v == json.null then return paint("nil", "json.null", on) end
  return paint("other", tostring(v), on)
end

--- Renders `value` as text. Options: `color` (ANSI colours), `indent` (default two spaces),
--- `width` (line width before a table is split over lines, default 80), `depth` (max nesting).
function pretty.format(value, options)
  options = options or {}
  local on = options.color
  local indent = options.indent or "  "
  local width = options.width or 80
  local max_depth = options.depth or 64
  local open = {}

  local function render(v, level)
    if type(v) ~= "table" then return scalar(v, on) end
    if open[v] then return paint("other", "<cycle: " .. tostring(v) .. ">", on) end
    if level >= max_depth then return paint("other", "{...}", on) end
    open[v] = true
    if level > 0 and has_own_tostring(v) then
      open[v] = nil
      return paint("other", tostring(v), on)
    end
    local parts, n = {}, #v
    for i = 1, n do parts[#parts + 1] = render(rawget(v, i), level + 1) end
    local keys = {}
    for k in next, v do
      if not (math.type(k) == "integer" and k >= 1 and k <= n) then keys[#keys + 1] = k end
    end
    table.sort(keys, key_order)
    for _, k in ipairs(keys) do
      local shown = is_identifier(k) and paint("key", k, on) or ("[" .. scalar(k, on) .. "]")
      parts[#parts + 1] = shown .. " = " .. render(rawget(v, k), level + 1)
    end
    open[v] = nil
    if #parts == 0 then return "{}" end
    local one_line = "{ " .. table.concat(parts, ", ") .. " }"
    local visible = one_line:gsub("\27%[[%d;]*m", "")
    if #visible + #indent * level <= width and not one_line:find("\n") then return one_line end
    local pad = indent:rep(level + 1)
    return "{\n" .. pad .. table.concat(parts, ",\n" .. pad) .. "\n" .. indent:rep(level) .. "}"
  end

  return render(value, 0)
end

--- Prints each argument rendered by `pretty.format`, separated by tabs.
function pretty.print(...)
  local n = select("#", ...)
  local out = {}
  for i = 1, n do out[i] = pretty.format((select(i, ...))) end
  print(table.concat(out, "\t"))
end

return pretty
