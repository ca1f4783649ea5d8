-- Turns a fresh state that holds only the allowed libraries into the sandbox (docs/architecture.md, rule 4).
-- Runs once, before any user code, with the host's privileged functions in `host`.
local host = ...
local G = _G
local error, select, tostring, type, next, pcall, rawget = error, select, tostring, type, next, pcall, rawget
local load, collectgarbage, setmetatable, concat = load, collectgarbage, setmetatable, table.concat

-- What the sandbox refuses raises a `permission` error table (so `exec --json` and `mcp` report
-- kind "permission", not a bare runtime error), whose text reads like Lua's own errors.
local refusal_mt = {
  __name = "sandbox.refusal",
  __tostring = function(e) return rawget(e, "message") end,
  __metatable = false,
}

-- The "chunk:line:" of the code `level` frames above the caller, as `error(msg, level)` adds:
-- pcall(error, "", n) makes Lua compute it without the debug library.
local function where(level)
  local _, position = pcall(error, "", level + 2)
  return type(position) == "string" and position or ""
end

-- The host's table of the errors it raised (weak keys): the kind an envelope reports comes from
-- there, so only the sandbox's own refusals, not a script's look-alike tables, carry one.
local raised = host.raised

local function refuse(message, level, kind)
  kind = kind or "permission"
  local e = setmetatable({ kind = kind, message = where(level + 1) .. message }, refusal_mt)
  raised[e] = kind
  error(e, 0)
end

-- string.rep checks the size up front, so a result too large for a Lua string is a `limit`
-- error like running out of memory, not a bare runtime error.
local rep, tointeger = string.rep, math.tointeger
local MAX_STRING = 0x7fffffff  -- what lstrlib lets one string hold (INT_MAX bytes)
string.rep = function(s, n, sep)
  local count = tointeger(n)
  if type(s) == "string" and count and count > 1 and (sep == nil or type(sep) == "string") then
    -- The size is #s * count + #sep * (count - 1); compared by division, so a huge count
    -- cannot wrap the product around to something small.
    local unit = #s + (sep and #sep or 0)
    -- Nothing repeated is nothing: lstrlib would still loop `count` times to copy no bytes.
    if unit == 0 then return "" end
    if count - 1 > (MAX_STRING - #s) // unit then
      refuse("string.rep: resulting string too large (" .. #s .. " bytes repeated " .. count
        .. " times; a string holds at most " .. MAX_STRING .. " bytes)", 2, "limit")
    end
  end
  return rep(s, n, sep)
end

-- Reading a global the sandbox removed says so, instead of "attempt to index a nil value".
local removed_globals = {
  io = "global 'io' is not available in the sandbox (no file or process access)",
  debug = "global 'debug' is not available in the sandbox",
  package = "global 'package' is not available in the sandbox (require loads only the built-in modules)",
  dofile = "dofile is not available in the sandbox (no file access; load takes a string)",
  loadfile = "loadfile is not available in the sandbox (no file access; load takes a string)",
}
G.dofile, G.loadfile = nil, nil
setmetatable(G, {
  __index = function(_, key)
    local message = removed_globals[key]
    if message then refuse(message, 2) end
  end,
  __metatable = false,
})

-- Text chunks only: a binary chunk can crash the VM.
local function binary(piece) return type(piece) == "string" and piece:byte(1) == 27 end
G.load = function(chunk, name, mode, ...)
  if mode ~= nil and mode ~= "t" then
    refuse("load: only text chunks are allowed in the sandbox (mode 't')", 2)
  end
  if binary(chunk) then refuse("load: binary chunks are not allowed in the sandbox", 2) end
  if type(chunk) == "function" then
    local reader, first = chunk, true
    chunk = function()
      local piece = reader()
      if first then
        first = false
        if binary(piece) then refuse("load: binary chunks are not allowed in the sandbox", 4) end
      end
      return piece
    end
  end
  if select("#", ...) > 0 then return load(chunk, name, "t", ...) end
  return load(chunk, name, "t")
end

G.collectgarbage = function(option, ...)
  if option == "count" then return collectgarbage("count") end
  refuse("collectgarbage: only \"count\" is allowed in the sandbox", 2)
end

local host_setmetatable = host.setmetatable
G.setmetatable = function(t, mt)
  if type(t) == "table" and type(mt) == "table" and rawget(mt, "__gc") ~= nil then
    refuse("setmetatable: __gc metamethods are not allowed in the sandbox", 2)
  end
  return host_setmetatable(t, mt)
end

-- The read-only library tables below (and `replicate`) are empty proxies whose metatables are
-- hidden (`__metatable = false`); `rawset` skips `__newindex`, so without this a script could
-- shadow `string.format` or `replicate.run` in the proxy itself.
local rawset, getmetatable = rawset, getmetatable
G.rawset = function(t, k, v)
  if getmetatable(t) == false then
    refuse("rawset: cannot change a protected table in the sandbox", 2)
  end
  return rawset(t, k, v)
end
G.xpcall = host.xpcall

G.print = function(...)
  local n = select("#", ...)
  local parts = {}
  for i = 1, n do parts[i] = tostring((select(i, ...))) end
  host.write(concat(parts, "\t") .. "\n")
end

local host_require, modules = host.require, host.modules
G.require = function(name)
  if type(name) == "string" and not modules[name] then
    local available = {}
    for module in next, modules do available[#available + 1] = module end
    table.sort(available)
    refuse("module '" .. name .. "' is not available in the sandbox (available: " .. concat(available, ", ") .. ")", 2)
  end
  return host_require(name)
end

string.dump = nil
local os = G.os
G.os = { clock = os.clock, time = os.time, date = os.date, difftime = os.difftime }

-- Library fields the sandbox removed say so when read. The real library tables are never
-- reachable from user code (only through the read-only views below), so a metatable on them
-- costs nothing on the hot path: __index runs only for a missing field.
for name, fields in next, { os = { "execute", "exit", "getenv", "remove", "rename", "tmpname", "setlocale" }, string = { "dump" } } do
  local removed = {}
  for _, field in ipairs(fields) do removed[field] = true end
  setmetatable(G[name], {
    __index = function(_, key)
      if removed[key] then refuse(name .. "." .. tostring(key) .. " is not available in the sandbox", 2) end
    end,
  })
end

-- Nobody may reach the string library through strings' metatable: getmetatable("") gives an
-- empty stand-in that refuses changes.
local string_mt = getmetatable("")
string_mt.__metatable = setmetatable({}, {
  __newindex = function() refuse("the string metatable cannot be changed in the sandbox", 2) end,
  __metatable = false,
})

-- `pairs` on a view walks the library with an iterator that holds it as an upvalue: handing out
-- `next, lib` would give the script the real, writable table as the loop's state.
local function readonly(lib, name)
  local function walk(_, key) return next(lib, key) end
  return setmetatable({}, {
    __index = lib,
    __newindex = function()
      refuse("cannot change the library table '" .. name .. "' in the sandbox", 2)
    end,
    __pairs = function(view) return walk, view, nil end,
    __metatable = false,
  })
end
for _, name in ipairs { "coroutine", "table", "string", "math", "utf8", "os", "json" } do
  G[name] = readonly(G[name], name)
end
