import Foundation

/// One hostile snippet for the sandbox and how it must end.
///
/// The list is data so that every way of running sandboxed code goes through the same cases:
/// `kosmo-lua --sandbox -e` (AdversarialTests), and `kosmo-lua exec --json` and the MCP
/// server's `execute_lua`: there `.limit` maps to an envelope
/// error of kind `limit`, `.permission` to `permission` (or the runtime error naming what the
/// sandbox lacks), `.luaError` to a runtime error, and `.completes` to a successful result.
struct AdversarialCase: Sendable {
    enum Outcome: String, Sendable {
        /// A limit ends it: time (sticky hook or watchdog) or memory.
        case limit
        /// The sandbox refuses: a missing function or library, a protected table, a permission.
        case permission
        /// Lua itself raises a clean error; that is the right answer (see `why`).
        case luaError
        /// It runs to the end: the attack has no effect on the host (see `why`).
        case completes
    }

    /// Short name, unique in the list.
    let name: String
    /// The Lua snippet.
    let code: String
    let outcome: Outcome
    /// Text the error message (stderr) contains; for `.completes`, the exact stdout.
    let expect: String
    /// Flags before `-e` besides the sandbox and its limits (`--sim` so that nothing can leave
    /// the machine, for cases that touch `replicate`).
    var flags: [String] = []
    /// Why this outcome is the right one, where it is not a limit or a refusal.
    var why: String = ""
}

enum AdversarialCases {
    /// Limits every case runs under: `--timeout 2 --memory 32`.
    static let timeoutSeconds = 2
    static let memoryMB = 32

    static let all: [AdversarialCase] = hostCore + moreCases

    /// The host-core list, as in CommandLineTests and SandboxTests.
    static let hostCore: [AdversarialCase] = [
        .init(name: "endless loop", code: "while true do end", outcome: .limit, expect: "time limit exceeded"),
        .init(name: "pcall swallowing the limit", code: "while true do pcall(function() while true do end end) end", outcome: .limit, expect: "time limit exceeded"),
        .init(name: "loop in a coroutine", code: "coroutine.wrap(function() while true do end end)()", outcome: .limit, expect: "time limit exceeded"),
        .init(name: "xpcall with looping body and handler",
              code: "while true do xpcall(function() while true do end end, function() while true do end end) end", outcome: .limit, expect: "time limit exceeded"),
        .init(name: "string.rep 2^31", code: #"local s = string.rep("x", 2^31)"#, outcome: .luaError, expect: "too large",
              why: "string.rep refuses a result larger than Lua's size limit before allocating"),
        .init(name: "table growth", code: "local t = {} for i = 1, 1e9 do t[i] = i end", outcome: .limit, expect: "memory limit"),
        .init(name: "string doubling", code: "local s = 'x' while true do s = s .. s end", outcome: .limit, expect: "memory limit"),
        .init(name: "unbounded recursion", code: "local function f() return 1 + f() end f()", outcome: .limit, expect: "memory limit"),
        .init(name: "load of string.dump", code: "assert(load(string.dump(function() end)))", outcome: .permission, expect: "dump"),
        .init(name: "binary chunk", code: #"assert(load("\27Lua\84\0\25\147\13\10\26\10"))"#, outcome: .permission, expect: "binary chunk"),
        .init(name: "load in binary mode", code: #"assert(load("return 1", "x", "b"))"#, outcome: .permission, expect: "only text chunks"),
        .init(name: "os.execute", code: "os.execute('echo hi')", outcome: .permission, expect: "execute"),
        .init(name: "io.open", code: "io.open('/etc/passwd')", outcome: .permission, expect: "global 'io'"),
        .init(name: "require io", code: "require 'io'", outcome: .permission, expect: "module 'io' is not available in the sandbox"),
        .init(name: "debug library", code: "debug.getinfo(1)", outcome: .permission, expect: "global 'debug'"),
        .init(name: "package.loadlib", code: "package.loadlib('x', 'y')", outcome: .permission, expect: "global 'package'"),
        .init(name: "dofile", code: "dofile('/etc/passwd')", outcome: .permission, expect: "dofile is not available in the sandbox"),
        .init(name: "string.dump", code: "string.dump(print)", outcome: .permission, expect: "dump"),
        .init(name: "__gc metamethod", code: "setmetatable({}, {__gc = function() end})", outcome: .permission, expect: "__gc metamethods are not allowed"),
        .init(name: "string metatable", code: "getmetatable('').__index = {}", outcome: .permission, expect: "the string metatable cannot be changed in the sandbox"),
        .init(name: "collectgarbage beyond count", code: "collectgarbage('stop')", outcome: .permission, expect: "only \"count\""),
        .init(name: "os.getenv", code: "print(os.getenv('REPLICATE_API_TOKEN'))", outcome: .permission, expect: "os.getenv is not available in the sandbox"),
        .init(name: "pathological pattern", code: #"print((("a"):rep(1e5)):find(".-.-.-.-b"))"#, outcome: .limit, expect: "the watchdog ended it"),
    ]

    /// More attacks of the same kinds: callbacks, error objects, closers, sizes, tables.
    static let moreCases: [AdversarialCase] = [
        // Error objects and handlers that loop: the sticky hook stays armed through them.
        .init(name: "error object whose __tostring loops",
              code: "error(setmetatable({}, {__tostring = function() while true do end end}))", outcome: .limit, expect: "time limit exceeded"),
        .init(name: "error object whose __tostring errors",
              code: "error(setmetatable({}, {__tostring = function() error('inner') end}))", outcome: .luaError, expect: "__tostring failed",
              why: "the host reports that the error object could not be turned into text"),
        .init(name: "xpcall handler that loops", code: "print(xpcall(error, function() while true do end end))", outcome: .limit, expect: "time limit exceeded"),
        .init(name: "__close that loops after a time limit",
              code: "do local x <close> = setmetatable({}, {__close = function() while true do end end}) while true do end end",
              outcome: .limit, expect: "time limit exceeded"),
        .init(name: "__close that loops after a memory limit",
              code: "do local x <close> = setmetatable({}, {__close = function() while true do end end}) local s = 'x' while true do s = s .. s end end",
              outcome: .limit, expect: "time limit exceeded"),
        .init(name: "__tostring that loops inside string.format",
              code: #"print(string.format("%s", setmetatable({}, {__tostring = function() while true do end end})))"#, outcome: .limit, expect: "time limit exceeded"),
        .init(name: "__tostring returning a table", code: "print(setmetatable({}, {__tostring = function() return {} end}))",
              outcome: .luaError, expect: "'__tostring' must return a string", why: "Lua's own check in tostring"),

        // Lua → Swift → Lua re-entry: replicate.map and replicate.all run Lua tasks from Swift.
        .init(name: "250 levels of replicate.map re-entry",
              code: "local function nest(n) if n == 0 then return 0 end return replicate.map({n}, function(x) return nest(x - 1) end)[1] + 1 end print(nest(250))",
              outcome: .luaError, expect: "C stack overflow",
              why: "each level is a Lua → Swift (tasks) → Lua resume; Lua caps nested C calls at 200 (LUAI_MAXCCALLS) and raises a clean error, caught like any other"),
        .init(name: "250 levels of replicate.all re-entry",
              code: "local function nest(n) if n == 0 then return 0 end return replicate.all{function() return nest(n - 1) end}[1] + 1 end print(nest(250))",
              outcome: .luaError, expect: "C stack overflow", why: "as for map"),
        .init(name: "150 levels of replicate.map re-entry complete",
              code: "local function nest(n) if n == 0 then return 0 end return replicate.map({n}, function(x) return nest(x - 1) end)[1] + 1 end print(nest(150))",
              outcome: .completes, expect: "150\n", why: "below Lua's C-call cap the nesting simply works"),
        .init(name: "re-entry overflow caught, host still usable",
              code: "local function nest(n) if n == 0 then return 0 end return replicate.map({n}, function(x) return nest(x - 1) end)[1] + 1 end local ok, e = pcall(nest, 250) print(ok, (tostring(e):gsub('^.-: ', ''))) print(nest(10))",
              outcome: .completes, expect: "false\tC stack overflow\n10\n", why: "the overflow is an ordinary error; the scheduler is left in a state that runs the next map"),
        .init(name: "loop 100 levels deep in re-entry",
              code: "local function nest(n) if n == 0 then while true do end end return replicate.map({n}, function(x) return nest(x - 1) end)[1] end nest(100)",
              outcome: .limit, expect: "time limit exceeded"),
        .init(name: "looping tasks in replicate.map",
              code: "replicate.map({1, 2, 3}, function() while true do end end, {concurrency = 3})", outcome: .limit, expect: "time limit exceeded"),

        // Huge arguments to C functions.
        .init(name: "table.unpack of 1e8 values", code: "print(table.unpack({}, 1, 1e8))", outcome: .luaError, expect: "too many results to unpack",
              why: "table.unpack checks the stack before pushing"),
        .init(name: "string.format width 99999", code: #"print(string.format("%099999d", 1))"#, outcome: .luaError, expect: "invalid conversion",
              why: "Lua 5.4 accepts at most two digits of width"),
        .init(name: "string.rep 1e8", code: #"print(("x"):rep(1e8))"#, outcome: .limit, expect: "memory limit"),
        .init(name: "utf8.char of 1e6 code points",
              code: "local t = {} for i = 1, 1e6 do t[i] = 0x10FFFF end print(#utf8.char(table.unpack(t)))", outcome: .luaError, expect: "too many results to unpack",
              why: "table.unpack refuses a million results before utf8.char sees them"),

        // Deep nesting.
        .init(name: "deep coroutine.wrap nesting", code: "local function f(n) return coroutine.wrap(function() return f(n + 1) end)() end f(1)",
              outcome: .luaError, expect: "C stack overflow", why: "nested resumes count as C calls; Lua caps them at 200"),
        .init(name: "deep coroutine.resume nesting",
              code: "local function f(n) local c = coroutine.create(function() return f(n + 1) end) local ok, e = coroutine.resume(c) if not ok then error(e, 0) end end f(1)",
              outcome: .luaError, expect: "C stack overflow", why: "as above"),
        .init(name: "a million coroutines", code: "local t = {} for i = 1, 1e6 do t[i] = coroutine.create(function() end) end", outcome: .limit, expect: "memory limit"),
        .init(name: "creating coroutines forever", code: "while true do coroutine.wrap(function() end)() end", outcome: .limit, expect: "time limit exceeded"),
        .init(name: "__index recursion", code: "local t = setmetatable({}, {__index = function(t, k) return t[k] end}) return t.x",
              outcome: .luaError, expect: "stack overflow", why: "metamethod calls are C calls too"),
        .init(name: "json.decode of 100,000 brackets", code: #"json.decode(string.rep("[", 100000))"#, outcome: .luaError, expect: "nested deeper than 200 levels",
              why: "the decoder's documented depth limit"),
        .init(name: "json.encode of a cycle", code: "local t = {} t[1] = t print(json.encode(t))", outcome: .luaError, expect: "contains itself",
              why: "the encoder's documented cycle check"),

        // Lua callbacks from C functions that loop.
        .init(name: "load with a looping reader", code: "print(load(function() while true do end end))", outcome: .limit, expect: "time limit exceeded"),
        .init(name: "load with an endless reader", code: #"local chunk = ("x"):rep(1e6) print(load(function() return chunk end)) print("alive")"#,
              outcome: .completes, expect: "nil\tnot enough memory\nalive\n",
              why: "the allocator refuses at the memory limit; load is protected and, as Lua documents, returns nil and the message instead of raising. Memory, unlike time, is not sticky: what was refused is freed, and the process never grew past the limit"),
        .init(name: "memory error caught by pcall", code: #"print(pcall(string.rep, "x", 1e8)) print("alive")"#,
              outcome: .completes, expect: "false\tnot enough memory\nalive\n",
              why: "as above: a refused allocation is an ordinary error a script may catch; the limit still holds"),
        // The sandbox keeps _G's metatable (it names missing globals), so this is refused up front.
        .init(name: "_G __index that loops", code: "setmetatable(_G, {__index = function() while true do end end}) print(undefined_variable)",
              outcome: .permission, expect: "cannot change a protected metatable"),
        .init(name: "gsub callback that loops", code: #"string.gsub(string.rep("a", 100), "a", function() while true do end end)"#, outcome: .limit, expect: "time limit exceeded"),
        .init(name: "table.sort comparator that loops", code: "local t = {} for i = 1, 100 do t[i] = i end table.sort(t, function() while true do end end)",
              outcome: .limit, expect: "time limit exceeded"),
        .init(name: "table.sort with an invalid order", code: "local t = {} for i = 1, 100 do t[i] = 100 - i end table.sort(t, function() return true end)",
              outcome: .luaError, expect: "invalid order function for sorting", why: "Lua's own check"),

        // Protected tables and globals.
        .init(name: "assign a replicate field", code: "replicate.run = print", outcome: .permission, expect: "cannot change the library table 'replicate'"),
        .init(name: "assign a string field", code: "string.format = nil", outcome: .permission, expect: "cannot change the library table 'string'"),
        .init(name: "assign a json field", code: "json.encode = nil", outcome: .permission, expect: "cannot change the library table 'json'"),
        .init(name: "rawset into string", code: #"rawset(string, "format", function() return "evil" end) print(string.format("%d", 1))"#,
              outcome: .permission, expect: "cannot change a protected table"),
        .init(name: "rawset into replicate", code: #"rawset(replicate, "get_account", function() return "evil" end)"#,
              outcome: .permission, expect: "cannot change a protected table"),
        .init(name: "setmetatable on replicate", code: "setmetatable(replicate, {})", outcome: .permission, expect: "cannot change a protected metatable"),
        .init(name: "rebinding protected globals",
              code: """
                  local pretty, map, encode, out = require("pretty"), replicate.map, json.encode, print
                  replicate, json, string, table, type, tostring, pairs, ipairs, next, select, coroutine, error, pcall, print = nil
                  local r = map({1, 2}, function(x) return x * 2 end)
                  out(pretty.format(r), encode(r))
                  """,
              outcome: .completes, expect: "{ 2, 4 }\t[2,4]\n",
              why: "globals are the script's own environment; the host's helpers and printer hold their own references, so rebinding them changes nothing but the script"),

        // The permission policy, with nothing able to leave the machine (--sim).
        .init(name: "write without approval", code: "replicate.delete_model('a/b')", outcome: .permission,
              expect: "permission error in replicate.delete_model", flags: ["--sim"]),
        .init(name: "upload from a path", code: "replicate.upload('/etc/passwd')", outcome: .permission,
              expect: "reading /etc/passwd is not allowed in the sandbox", flags: ["--sim"]),
        .init(name: "download to a path", code: "replicate.download('http://127.0.0.1:9/x', '/tmp/kosmo-adversarial')", outcome: .permission,
              expect: "writing /tmp/kosmo-adversarial is not allowed in the sandbox", flags: ["--sim"]),
        .init(name: "spend guard", code: "replicate.run('sim/echo', {text = 'x'})", outcome: .limit,
              expect: "limit error in replicate.run: this would create prediction number 1, but this run may create at most 0",
              flags: ["--sim", "--allow", "run", "--max-predictions", "0"]),
    ]
}
