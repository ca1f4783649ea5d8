-- Assembles the `replicate` table from the host's Swift functions (ReplicateLibrary.swift).
-- The 37 API functions are Swift host functions; the helpers that are loops over them
-- (paginate, map, all, the stream iterator) are written here in Lua.
local host = ...
local error, type, tostring, select, rawget, rawlen, next = error, type, tostring, select, rawget, rawlen, next
local setmetatable, tointeger = setmetatable, math.tointeger
-- Taken now: a script may replace the global `json` later.
local json_null = json and json.null

local replicate = {}
for name, fn in pairs(host.ops) do
  replicate[name] = fn
  replicate["replicate_" .. name] = fn
end

-- Error tables: one line for tostring, e.g. "http error in replicate.get_model: HTTP 404 …".
host.error_mt = {
  __name = "replicate.error",
  __tostring = function(e)
    local text = tostring(rawget(e, "kind")) .. " error"
    local fn = rawget(e, "function")
    if fn then text = text .. " in replicate." .. tostring(fn) end
    return text .. ": " .. tostring(rawget(e, "message"))
  end,
}

local error_mt, raised = host.error_mt, host.raised

-- Raises a `validation` error table of `replicate.<fname>`, as the host's checks do (recorded
-- among the host's raised errors, so an envelope reports its kind), at `level` (counted from
-- the caller of the function that calls this).
local function invalid(fname, message, level)
  local e = setmetatable({kind = "validation", ["function"] = fname, message = message}, error_mt)
  raised[e] = "validation"
  error(e, level + 1)
end

-- A value as an error message shows it: strings quoted as strings, nan as nan.
local function shown(v)
  if type(v) == "string" then return 'the string "' .. v .. '"' end
  if v ~= v then return "nan" end
  return tostring(v)
end

-- Stream events: tostring(event) is its data, so io.write(tostring(ev)) prints tokens.
local event_mt = {
  __name = "replicate.event",
  __tostring = function(ev) return rawget(ev, "data") or "" end,
}
host.event_mt = event_mt

local function missing(key, level)
  if type(key) ~= "string" then return nil end
  local text = "replicate." .. key .. " does not exist"
  local near = host.suggest(key)
  if near then text = text .. "; did you mean replicate." .. near .. "?" end
  error(text, level + 1)
end

local function check_options(opts, fname, allowed)
  if opts == nil then return {} end
  if type(opts) ~= "table" then
    invalid(fname, "options must be a table, got " .. type(opts), 3)
  end
  for key in next, opts do
    if not allowed[key] then
      invalid(fname, "unknown option '" .. tostring(key) .. "' (options: concurrency, return_errors, save)", 3)
    end
  end
  return opts
end

local DEFAULT_CONCURRENCY = 8

local function concurrency_of(opts, n, fname)
  local c = opts.concurrency
  if c == nil then return n < DEFAULT_CONCURRENCY and (n > 0 and n or 1) or DEFAULT_CONCURRENCY end
  local whole = type(c) == "number" and tointeger(c)
  if not whole or whole < 1 then
    invalid(fname, "concurrency must be a whole number of at least 1, got " .. shown(c), 3)
  end
  return whole
end

local task_options = { concurrency = true, return_errors = true, save = true }

-- The save folder of each map/all task (opts.save), by its coroutine: `run` and `wait` inside
-- the task save into it unless they name their own (`save = false` for none). Weak keys: a
-- finished task's entry goes with it.
local running = coroutine.running
local save_scope = setmetatable({}, { __mode = "k" })

local function with_save_scope(opts)
  local folder = save_scope[running()]
  if folder == nil or (opts ~= nil and (type(opts) ~= "table" or opts.save ~= nil)) then return opts end
  local copy = { save = folder }
  if opts then for k, v in next, opts do copy[k] = v end end
  return copy
end

-- Tasks that start with `folder` as their save folder.
local function saving_into(folder, list, fn, n)
  if fn then
    return list, function(item, i)
      save_scope[running()] = folder
      return fn(item, i)
    end
  end
  local wrapped = {}
  for i = 1, n do
    local f = list[i]
    wrapped[i] = function() save_scope[running()] = folder; return f() end
  end
  return wrapped, nil
end

-- map and all: check the options, run the tasks, return (or raise) as the options say.
local function run_tasks(list, fn, opts, fname)
  opts = check_options(opts, fname, task_options)
  -- The items' raw length, as the host counts them: a script's __len must not make the host
  -- set up tasks (and their tables) for items that are not there.
  local n = rawlen(list)
  -- Nested tasks keep the folder of the task that started them.
  local folder = opts.save
  if folder == nil then folder = save_scope[running()] end
  if folder ~= nil then
    if folder ~= false and (type(folder) ~= "string" or folder == "") then
      invalid(fname, "save must be a folder path, or false to save nothing, got " .. shown(folder), 2)
    end
    list, fn = saving_into(folder, list, fn, n)
  end
  local results, errors, first = host.tasks(list, fn, concurrency_of(opts, n, fname))
  if opts.return_errors then
    -- Both tables are arrays JSON can hold, so `return results, errors` works: a result that
    -- failed (or was nil) is json.null; an item that succeeded has false among the errors, so
    -- `if errors[i] then` still tells them apart.
    for i = 1, n do
      if results[i] == nil then results[i] = json_null end
      if errors[i] == nil then errors[i] = false end
    end
    return results, errors
  end
  if first then error(errors[first], 0) end
  return results
end

--- Calls fn(item, i) for each item as concurrent tasks; results in order.
function replicate.map(items, fn, opts)
  if type(items) ~= "table" then
    error("bad argument #1 to 'replicate.map' (table expected, got " .. type(items) .. ")", 2)
  end
  if type(fn) ~= "function" then
    error("bad argument #2 to 'replicate.map' (function expected, got " .. type(fn) .. ")", 2)
  end
  return run_tasks(items, fn, opts, "map")
end

--- Runs each function as a concurrent task; results in order.
function replicate.all(fns, opts)
  if type(fns) ~= "table" then
    error("bad argument #1 to 'replicate.all' (table of functions expected, got " .. type(fns) .. ")", 2)
  end
  for i = 1, #fns do
    if type(fns[i]) ~= "function" then
      invalid("all", "item " .. i .. " is a " .. type(fns[i]) .. ", not a function", 2)
    end
  end
  return run_tasks(fns, nil, opts, "all")
end

--- Every item of a paginated function, fetching pages as the loop goes.
function replicate.paginate(name, args)
  if type(name) ~= "string" then
    error("bad argument #1 to 'replicate.paginate' (function name expected, got " .. type(name) .. ")", 2)
  end
  local page, i = nil, 0
  return function()
    while true do
      if page then
        local results = page.results
        if results and i < #results then
          i = i + 1
          return results[i]
        end
        if not page.next then return nil end
      end
      page = host.page(name, args, page and page.next or nil)
      i = 0
    end
  end
end

--- Runs a model and iterates over its events; breaking out of the loop closes the stream.
function replicate.stream(ref, input, opts)
  local id = host.stream_open(ref, input, opts)
  local closer = setmetatable({}, { __close = function() host.stream_close(id) end, __metatable = false })
  return function()
    local event = host.stream_next(id)
    if event == nil then return nil end
    return setmetatable(event, event_mt)
  end, nil, nil, closer
end

local host_run, host_wait = host.run, host.wait
function replicate.run(ref, input, opts) return host_run(ref, input, with_save_scope(opts)) end
replicate.model = host.model
replicate.journal = host.journal

--- A local file as a model input: replicate.run(m, {image = replicate.file("in.png")}). An open
--- file (io.open) is taken as it is: the call sends the file it names.
function replicate.file(path)
  -- rawget: the sandbox has no io, and reading a missing global there is an error.
  local io_library = rawget(_ENV, "io")
  if io_library and io_library.type(path) then return path end
  if type(path) ~= "string" then
    error("bad argument #1 to 'replicate.file' (path or open file expected, got " .. type(path) .. ")", 2)
  end
  return { path = path }
end
function replicate.wait(prediction, opts) return host_wait(prediction, with_save_scope(opts)) end
replicate.sleep = host.sleep
replicate.upload = host.upload
replicate.download = host.download
replicate.webhooks = { verify = host.verify, sign = host.sign }

--- Prints what a function takes and returns (or lists them all).
function replicate.help(name)
  if name ~= nil and type(name) ~= "string" then
    if type(name) == "function" then
      for key, fn in next, replicate do
        if fn == name and not key:find("^replicate_") then name = key break end
      end
    end
    if type(name) ~= "string" then
      error("bad argument #1 to 'replicate.help' (function name expected, got " .. type(name) .. ")", 2)
    end
  end
  print(host.help(name))
end

if host.sandboxed then
  -- Read-only views, as the sandbox makes of the standard libraries: `pairs` walks the real
  -- table with an iterator that holds it, so the script never gets the table itself.
  local function view(real, name, on_missing)
    local function walk(_, key) return next(real, key) end
    return setmetatable({}, {
      __index = function(_, key)
        local value = real[key]
        if value == nil and on_missing then on_missing(key, 2) end
        return value
      end,
      __newindex = function() error("cannot change the library table '" .. name .. "' in the sandbox", 2) end,
      __pairs = function(v) return walk, v, nil end,
      __metatable = false,
    })
  end
  replicate.webhooks = view(replicate.webhooks, "replicate.webhooks")
  return view(replicate, "replicate", missing)
end
-- `missing` is not a tail call, so the error points at the script's line, not at __index.
host.missing = missing
return setmetatable(replicate, { __index = function(_, key) missing(key, 2) end })
