-- Turns a fresh state that holds only the allowed libraries into the sandbox (DESIGN.md rule 4).
-- Runs once, before any user code, with the host's privileged functions in `host`.
local host = ...
local G = _G
local error, select, tostring, type, next = error, select, tostring, type, next
local load, collectgarbage, setmetatable, concat = load, collectgarbage, setmetatable, table.concat

G.dofile, G.loadfile = nil, nil

-- Text chunks only: a binary chunk can crash the VM.
G.load = function(chunk, name, mode, ...)
  if mode ~= nil and mode ~= "t" then
    error("load: only text chunks are allowed in the sandbox (mode 't')", 2)
  end
  if select("#", ...) > 0 then return load(chunk, name, "t", ...) end
  return load(chunk, name, "t")
end

G.collectgarbage = function(option, ...)
  if option == "count" then return collectgarbage("count") end
  error("collectgarbage: only \"count\" is allowed in the sandbox", 2)
end

G.setmetatable = host.setmetatable

-- The read-only library tables below (and `replicate`) are empty proxies whose metatables are
-- hidden (`__metatable = false`); `rawset` skips `__newindex`, so without this a script could
-- shadow `string.format` or `replicate.run` in the proxy itself.
local rawset, getmetatable = rawset, getmetatable
G.rawset = function(t, k, v)
  if getmetatable(t) == false then
    error("rawset: cannot change a protected table in the sandbox", 2)
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

G.require = host.require

string.dump = nil
local os = G.os
G.os = { clock = os.clock, time = os.time, date = os.date, difftime = os.difftime }

-- Nobody may reach the string library through strings' metatable.
local string_mt = getmetatable("")
string_mt.__metatable = false

local function readonly(lib, name)
  return setmetatable({}, {
    __index = lib,
    __newindex = function()
      error("cannot change the library table '" .. name .. "' in the sandbox", 2)
    end,
    __pairs = function() return next, lib, nil end,
    __metatable = false,
  })
end
for _, name in ipairs { "coroutine", "table", "string", "math", "utf8", "os", "json" } do
  G[name] = readonly(G[name], name)
end
