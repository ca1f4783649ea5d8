-- Stands in for the `replicate` table until a script first uses it (ReplicateLibrary.swift,
-- installLazily). Building the real one — 37 Swift functions, the API catalog, and
-- lua/_replicate.lua — was most of `kosmo-lua -e ''`'s start-up, paid by every script.
-- `load()` builds it and returns it with the function that raises "does not exist" errors.
local load = ...
local setmetatable, getmetatable, rawget, rawset, next = setmetatable, getmetatable, rawget, rawset, next

local real, missing
local function get()
  if not real then real, missing = load() end
  return real
end

-- Standard profile only (the sandbox's table is a read-only proxy, built at once). On first
-- use the table gets the real one's fields (keeping any the script set) and metatable, and
-- is the real table from then on.
local stub = {}
local function fill()
  local r = get()
  for key, value in next, r do
    if rawget(stub, key) == nil then rawset(stub, key, value) end
  end
  setmetatable(stub, getmetatable(r))
end

return setmetatable(stub, {
  __index = function(_, key)
    fill()
    local value = rawget(stub, key)
    -- `missing` is not a tail call, so the error points at the script's line.
    if value == nil then missing(key, 2) end
    return value
  end,
  __pairs = function()
    fill()
    return next, stub, nil
  end,
})
