import CLua
import CLuaBridge
import KosmoCore
import Foundation

/// One Lua 5.4 state with kosmo-lua's host layer: a profile, limits, Swift host functions,
/// the `json` library, a scheduler for concurrent tasks, and output capture.
///
/// A `LuaVM` is owned by one thread for its whole life (docs/architecture.md, rule 3); it is not `Sendable`.
public final class LuaVM {
    /// The main thread of the Lua state (`lua_State *`).
    public let state: OpaquePointer
    public let profile: Profile
    /// Limits applied by the next `run`.
    public var limits: Limits
    /// Where `print` goes in the sandbox profile (and where captured output is kept).
    public let output: OutputCapture

    /// When set, every run with a timeout arms the process watchdog with this message.
    public var watchdogMessage: String?
    /// Where the watchdog writes its message: standard error for the CLI, standard output for
    /// `exec --json`, whose message is a prepared envelope.
    public var watchdogFileDescriptor: Int32 = 2

    var hostFunctions: [HostFunction] = []
    let scheduler = Scheduler()
    private var runStartNanos: UInt64 = 0
    /// `load` armed the limits for the chunk it compiled, so the `call` that runs it keeps the
    /// same deadline: compiling counts toward the time limit.
    private var limitsArmedByLoad = false
    /// Set once `close()` ran: the state is gone.
    public private(set) var isClosed = false
    private var closedStatistics: (memoryBytes: Int, peakMemoryBytes: Int, instructions: UInt64) = (0, 0, 0)

    /// Creates a VM. `ignoreEnvironment` is `lua -E`: `LUA_PATH`/`LUA_CPATH` are not read.
    public init(profile: Profile = .standard, limits: Limits = .none, output: OutputCapture = OutputCapture(), ignoreEnvironment: Bool = false) throws {
        LuaVM.installDispatcher()
        // The count hook slows every instruction, so only a VM with an instruction or time
        // limit starts with it (see kl_newstate); one without gets it if it ever needs it.
        let hooked: Int32 = limits.timeoutSeconds != nil || limits.instructions != nil ? 1 : 0
        guard let L = kl_newstate(nil, hooked) else { throw RunError(kind: .limit, message: "cannot create a Lua state: out of memory") }
        self.state = L
        self.profile = profile
        self.limits = limits
        self.output = output
        kl_getstate(L).pointee.host = Unmanaged.passUnretained(self).toOpaque()
        createRaisedErrorsTable()

        if ignoreEnvironment {
            lua_pushboolean(L, 1)
            lua_setfield_raw(L, kl_registryindex(), "LUA_NOENV")
        }
        switch profile {
        case .standard:
            guard kl_openlibs(L) == LUA_OK else { throw popError(kind: .runtime) }
            if limits.timeoutSeconds != nil || limits.instructions != nil {
                pushGlobals()
                kl_pushcfunction(L, kl_guarded_xpcall)
                lua_setfield_raw(L, -2, "xpcall")
                kl_pop(L, 1)
            }
        case .sandbox:
            for (name, open) in LuaVM.sandboxLibraries {
                guard kl_requiref(L, name, open) == LUA_OK else { throw popError(kind: .runtime) }
            }
        }
        try JSONLibrary.install(in: self)
        try installEmbeddedModules()
        if profile == .sandbox { try Sandbox.apply(to: self) }
    }

    deinit {
        close()
    }

    /// Closes the state now: runs the finalizers still pending under the limits of the last run
    /// (and its watchdog), with host functions refused, then frees everything. Call it before
    /// reporting a run, so nothing the script left behind can act after the report; the VM
    /// must not be used afterwards. `deinit` closes a VM that was not closed.
    public func close() {
        guard !isClosed else { return }
        scheduler.cancelAll()
        closedStatistics = statistics
        // Lua runs no hooks inside a finalizer, so the watchdog holds finalizers to the run's
        // deadline; it gives freeing a large heap at least a second, even past the deadline.
        if let watchdogMessage, let deadline = deadlineNanos {
            Watchdog.arm(deadline: max(deadline, kl_now_ns() + 1_000_000_000), message: watchdogMessage, fd: watchdogFileDescriptor)
        }
        kl_close(state)
        if watchdogMessage != nil { Watchdog.disarm() }
        isClosed = true
    }

    static let sandboxLibraries: [(String, lua_CFunction)] = [
        ("_G", luaopen_base), ("coroutine", luaopen_coroutine), ("table", luaopen_table),
        ("string", luaopen_string), ("math", luaopen_math), ("utf8", luaopen_utf8), ("os", luaopen_os),
    ]

    // MARK: Running code

    /// Compiles `source` (text only in the sandbox) and leaves the function on the stack. The
    /// limits start now and cover the compile (memory; time and Ctrl-C between pieces of the
    /// source); the `call` that runs the chunk keeps them.
    public func load(_ source: [UInt8], chunkName: String) throws(RunError) {
        beginLimits()
        limitsArmedByLoad = true
        var bytes = source
        // A `#` first line (a shebang) is skipped, as `lua` does for script files.
        if bytes.first == UInt8(ascii: "#") {
            if let newline = bytes.firstIndex(of: UInt8(ascii: "\n")) {
                bytes.replaceSubrange(0..<newline, with: [])
            } else {
                bytes = []
            }
        }
        // An empty array may have no storage; a one-space chunk compiles to the same nothing.
        if bytes.isEmpty { bytes = [UInt8(ascii: " ")] }
        let status = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) {
                kl_load(state, $0.baseAddress, $0.count, chunkName, profile == .standard ? 1 : 0)
            }
        }
        if status != LUA_OK { throw popError(kind: status == LUA_ERRSYNTAX ? .syntax : .runtime, status: status) }
    }

    /// Loads and runs a chunk with `arguments` as `...`, returning its results as JSON values
    /// per the Values table (what `exec` reports).
    public func run(_ source: [UInt8], chunkName: String, arguments: [String] = []) throws(RunError) -> [LuaValue] {
        let top = lua_gettop(state)
        try load(source, chunkName: chunkName)
        for argument in arguments { lua_pushstring(state, argument) }
        try call(argumentCount: Int32(arguments.count), resultCount: LUA_MULTRET)
        defer { lua_settop(state, top) }
        var results: [LuaValue] = []
        let count = lua_gettop(state) - top
        if count > 0 {
            for index in (top + 1)...(top + count) {
                results.append(try resultValue(at: index))
            }
        }
        return results
    }

    /// Calls the function below `argumentCount` arguments on the stack, under the limits, with a
    /// traceback on error. Results are left on the stack.
    public func call(argumentCount: Int32, resultCount: Int32) throws(RunError) {
        if limitsArmedByLoad { limitsArmedByLoad = false } else { beginLimits() }
        if let watchdogMessage { Watchdog.arm(for: self, message: watchdogMessage, fd: watchdogFileDescriptor) }
        defer { if watchdogMessage != nil { Watchdog.disarm() } }
        let base = lua_gettop(state) - argumentCount - 1
        let status = kl_pcall(state, argumentCount, resultCount)
        if status != LUA_OK { throw popError(kind: .runtime, status: status) }
        // A limit is sticky: code that caught its error and returned before the hook's next
        // tick (`return pcall(f)`) has still hit it, and the run ends as a limit error.
        guard kl_limit_reached(state) != Int32(KL_LIMIT_NONE.rawValue) else { return }
        lua_settop(state, base)
        kl_push_limit_message(state)
        throw popError(kind: .runtime)
    }

    /// Arms the limits for a run: the instruction budget and the deadline start now.
    public func beginLimits() {
        runStartNanos = kl_now_ns()
        let deadline = limits.timeoutSeconds.map { runStartNanos + Self.nanoseconds($0) } ?? 0
        kl_set_limits(state, limits.memoryBytes.map { Int($0) } ?? 0, limits.instructions ?? 0, deadline)
    }

    /// Runs `body` — a wait for a person, such as an approval prompt — with the run's time limit
    /// stopped: the time it takes moves the deadline (and the watchdog's) later, so a script is
    /// not ended, or its process killed, because someone took a minute to answer.
    public func withTimeLimitPaused<T>(_ body: () throws -> T) rethrows -> T {
        guard deadlineNanos != nil else { return try body() }
        let started = kl_now_ns()
        kl_watchdog_hold()
        defer {
            let held = kl_now_ns() - started
            kl_extend_deadline(state, held)
            kl_watchdog_release(held)
        }
        return try body()
    }

    /// Absolute deadline of the current run in CLOCK_MONOTONIC nanoseconds, if any.
    var deadlineNanos: UInt64? {
        let d = kl_getstate(state).pointee.deadline_ns
        return d == 0 ? nil : d
    }

    /// Statistics of the state: bytes in use, peak bytes, instructions counted.
    public var statistics: (memoryBytes: Int, peakMemoryBytes: Int, instructions: UInt64) {
        if isClosed { return closedStatistics }
        let s = kl_getstate(state).pointee
        return (Int(s.used), Int(s.peak), s.instructions)
    }

    /// Asks running Lua code to stop (safe from a signal handler's thread through `kl_request_interrupt`).
    /// Without limits or `keepCountHook()`, code running in a coroutine stops once it returns
    /// to the main thread, as in `lua5.4`.
    public func interrupt() { kl_request_interrupt(state) }
    public func clearInterrupt() { kl_clear_interrupt(state) }

    /// Keeps the count hook installed even without limits, so `interrupt()` reaches coroutines
    /// created from now on (the REPL's Ctrl-C). Costs every Lua instruction a check.
    public func keepCountHook() { kl_keep_hook(state) }

    // MARK: Errors

    /// Pops the error value left by a failed load/call and classifies it.
    func popError(kind: RunError.Kind, status: Int32 = LUA_ERRRUN) -> RunError {
        let L = state
        let s = kl_getstate(L).pointee
        var error = RunError(kind: kind, message: "")
        switch Int32(s.limit_hit) {
        case Int32(KL_LIMIT_INSTRUCTIONS.rawValue), Int32(KL_LIMIT_DEADLINE.rawValue): error.kind = .limit
        case Int32(KL_LIMIT_INTERRUPT.rawValue): error.kind = .interrupted
        default: break
        }
        if status == LUA_ERRMEM { error.kind = .limit }
        error.message = describeValue(at: -1)
        if lua_type(L, -1) == LUA_TTABLE {
            // Only a table the host raised has a kind of its own; one a script made with
            // `error{kind = ...}` is a runtime error whatever it says.
            if let hostKind = raisedKind(at: -1) {
                error.hostKind = hostKind
                if error.kind == .runtime { error.kind = .host }
            }
            error.errorObject = try? LuaToJSON.text(L, self, at: -1)
        }
        if error.kind == .limit, s.limit_hit == KL_LIMIT_MEMORY.rawValue || status == LUA_ERRMEM {
            if let bytes = limits.memoryBytes {
                error.message = "not enough memory: the memory limit (\(Self.formatBytes(bytes))) was reached"
            }
        } else if error.kind == .limit, s.limit_hit == KL_LIMIT_DEADLINE.rawValue, let seconds = limits.timeoutSeconds {
            if !error.message.contains("time limit") { error.message = "time limit exceeded" }
            error.message += " (\(Self.formatSeconds(seconds)))"
        }
        kl_pop(L, 1)
        lua_getfield_raw(L, kl_registryindex(), "kosmo.traceback")
        error.traceback = stringValue(at: -1)
        kl_pop(L, 1)
        lua_pushnil(L)
        lua_setfield_raw(L, kl_registryindex(), "kosmo.traceback")
        return error
    }

    /// A one-line description of the value at `index` of thread `L` (the main thread by
    /// default), using `__tostring` under protection, as `lua5.4` reports error objects.
    public func describeValue(on L: OpaquePointer? = nil, at index: Int32) -> String {
        let L = L ?? state
        let absolute = lua_absindex(L, index)
        if lua_type(L, absolute) == LUA_TSTRING || lua_type(L, absolute) == LUA_TNUMBER {
            var length = 0
            guard let p = kl_tolstring_raw(L, absolute, &length) else { return "" }
            return String(decoding: UnsafeRawBufferPointer(start: p, count: length), as: UTF8.self)
        }
        if luaL_getmetafield(L, absolute, "__tostring") != LUA_TNIL {
            kl_pop(L, 1)
            defer { kl_pop(L, 1) }
            if kl_tostring(L, absolute) == 1 { return stringValue(on: L, at: -1) ?? "" }
            return "(error object's __tostring failed: \(stringValue(on: L, at: -1) ?? "?"))"
        }
        return "(error object is a \(String(cString: lua_typename(L, lua_type(L, absolute)))) value)"
    }

    func stringValue(at index: Int32) -> String? { stringValue(on: state, at: index) }

    /// Converts the value at `index` to a `LuaValue` via JSON, so results keep their JSON shape.
    func resultValue(at index: Int32) throws(RunError) -> LuaValue {
        switch lua_type(state, index) {
        case LUA_TNIL: return .nil
        case LUA_TBOOLEAN: return .boolean(lua_toboolean(state, index) != 0)
        case LUA_TNUMBER:
            return kl_isinteger(state, index) != 0 ? .integer(kl_tointeger(state, index, nil)) : .number(kl_tonumber(state, index, nil))
        case LUA_TSTRING:
            return .bytes(bytesValue(on: state, at: index) ?? [])
        default:
            do throws(JSONError) { return .json(try LuaToJSON.text(state, self, at: index)) } catch {
                if error.isMemory, let bytes = limits.memoryBytes {
                    throw RunError(kind: .limit, message: "not enough memory: the memory limit (\(Self.formatBytes(bytes))) was reached while encoding the result as JSON")
                }
                throw RunError(kind: .runtime, message: "cannot return this value as JSON: \(error.message)")
            }
        }
    }

    static func formatBytes(_ bytes: Int) -> String {
        if bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        if bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB" }
        return "\(bytes) bytes"
    }

    static func formatSeconds(_ seconds: Double) -> String {
        seconds == seconds.rounded() && abs(seconds) < 1e15 ? "\(Int64(seconds)) s" : "\(seconds) s"
    }

    /// `seconds` as nanoseconds for a deadline, saturating: negative or NaN is 0, and anything
    /// past a century is a century (the flags check their ranges; this keeps the host whole if
    /// a caller did not).
    static func nanoseconds(_ seconds: Double) -> UInt64 {
        let century = 100.0 * 365 * 24 * 3600
        guard seconds > 0 else { return 0 }
        return UInt64(min(seconds, century) * 1e9)
    }
}

/// `lua_getfield` without metamethods: pushes `t[key]` using `lua_rawget`.
@discardableResult
public func lua_getfield_raw(_ L: OpaquePointer, _ index: Int32, _ key: String) -> Int32 {
    let table = lua_absindex(L, index)
    lua_pushstring(L, key)
    return lua_rawget(L, table)
}

/// `lua_setfield` without metamethods: `t[key] = top`, popping the value.
public func lua_setfield_raw(_ L: OpaquePointer, _ index: Int32, _ key: String) {
    let table = lua_absindex(L, index)
    lua_pushstring(L, key)
    kl_insert(L, -2)
    lua_rawset(L, table)
}
