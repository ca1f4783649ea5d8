import CLua
import CLuaBridge
import Foundation
import KosmoCore

/// Work an async host function hands off: runs on Swift's concurrency pool, returns values to
/// push (on the VM thread) or throws an error to raise.
public typealias AsyncHostWork = @Sendable () async throws -> [LuaValue]

/// A Swift function callable from Lua.
public enum HostFunction {
    /// Reads its arguments, pushes its results and returns how many it pushed.
    case sync((LuaCall) throws -> Int32)
    /// Reads its arguments on the VM thread, then returns work that runs without the VM
    /// (`HostWork`): from a scheduler task the call yields the task while the work runs;
    /// elsewhere the caller waits, in place when the work can be done that way.
    case work((LuaCall) throws -> HostWork)

    /// `work` with only a task form: the call's work always runs as a Swift task.
    public static func async(_ body: @escaping (LuaCall) throws -> AsyncHostWork) -> HostFunction {
        .work { call in HostWork(run: try body(call)) }
    }
}

/// What a host function that waits (on I/O, a timer) hands back after reading its arguments.
public struct HostWork {
    /// The work as a Swift task: a scheduler task yields while it runs; other callers wait.
    public var run: AsyncHostWork
    /// Where the task starts: nil for Swift's global pool, or the executor that owns the work's
    /// I/O (an HTTP client's event loop), which saves two thread hand-offs. The work must not
    /// block it.
    public var executor: (any TaskExecutor)?
    /// The same work done on the VM thread, blocking it, used when the caller would wait anyway
    /// (the main chunk, a user's own coroutine); it returns nil to have `run` do it instead.
    /// The work asks the `StopCheck` it is given while it blocks; when it ends because the
    /// check said stop, the call raises the VM's own error ("interrupted!", "time limit
    /// exceeded") whatever it threw.
    public var inPlace: ((StopCheck) throws -> [LuaValue]?)?

    public init(run: @escaping AsyncHostWork, executor: (any TaskExecutor)? = nil, inPlace: ((StopCheck) throws -> [LuaValue]?)? = nil) {
        self.run = run
        self.executor = executor
        self.inPlace = inPlace
    }
}

extension LuaVM {
    /// The stop check of work done in place on the VM thread (and of a host function that must
    /// block it, such as a lookup a call needs before it is authorized): it says stop once Ctrl-C was
    /// pressed, the run's time limit passed or its instruction limit was hit (the call then
    /// raises that stop's own error), and gives the seconds left until the time limit.
    public var inPlaceStopCheck: StopCheck {
        StopCheck(
            shouldStop: { [unowned(unsafe) self] in self.dueStop() != nil },
            secondsLeft: { [unowned(unsafe) self] in
                guard let deadline = self.deadlineNanos else { return nil }
                let now = kl_now_ns()
                return deadline > now ? Double(deadline - now) / 1e9 : 0
            })
    }
}

extension LuaVM {
    /// Registers `function` and pushes a Lua function that calls it onto thread `L` (the main
    /// thread when nil; a host function building tables passes its call's thread).
    public func pushHostFunction(_ function: HostFunction, on L: OpaquePointer? = nil) {
        hostFunctions.append(function)
        kl_push_host_function(L ?? state, lua_Integer(hostFunctions.count - 1))
    }

    /// Sets `table[name]` (the table at `tableIndex`, or the globals when nil) to a host function,
    /// on thread `L` (the main thread when nil).
    public func register(_ name: String, in tableIndex: Int32? = nil, on thread: OpaquePointer? = nil, _ function: HostFunction) {
        let L = thread ?? state
        if let tableIndex {
            let table = lua_absindex(L, tableIndex)
            pushHostFunction(function, on: L)
            lua_setfield_raw(L, table, name)
        } else {
            pushGlobals(on: L)
            pushHostFunction(function, on: L)
            lua_setfield_raw(L, -2, name)
            kl_pop(L, 1)
        }
    }

    /// Convenience: a synchronous function of its `LuaCall`.
    public func register(_ name: String, in tableIndex: Int32? = nil, on thread: OpaquePointer? = nil, sync body: @escaping (LuaCall) throws -> Int32) {
        register(name, in: tableIndex, on: thread, .sync(body))
    }

    /// Pushes the globals table (`_G` as the registry holds it, whatever the script did to `_G`)
    /// onto thread `L` (the main thread when nil).
    public func pushGlobals(on L: OpaquePointer? = nil) {
        lua_rawgeti(L ?? state, kl_registryindex(), lua_Integer(LUA_RIDX_GLOBALS))
    }

    static func installDispatcher() {
        kl_set_dispatcher { L, id in
            guard let L, let host = kl_getstate(L).pointee.host else { return KL_HOST_ERROR }
            // The VM outlives every call into it (it closes the state in deinit), so the call
            // borrows it without a retain/release pair — a measurable share of a host call.
            return Unmanaged<LuaVM>.fromOpaque(host)._withUnsafeGuaranteedRef { $0.dispatch(L, Int(id)) }
        }
    }

    func dispatch(_ L: OpaquePointer, _ id: Int) -> Int32 {
        guard id >= 0, id < hostFunctions.count else {
            lua_pushstring(L, "kosmo-lua: unknown host function #\(id)")
            return KL_HOST_ERROR
        }
        let call = LuaCall(L: L, vm: self)
        do {
            switch hostFunctions[id] {
            case .sync(let body):
                return try body(call)
            case .work(let body):
                let work = try body(call)
                return startWork(L, work)
            }
        } catch {
            pushError(error, on: L)
            return KL_HOST_ERROR
        }
    }

    /// Pushes a Swift error as a Lua error value.
    func pushError(_ error: any Error, on L: OpaquePointer) {
        if let raise = error as? LuaRaise {
            push(raise.value, on: L)
            if let metatable = raise.metatable, lua_type(L, -1) == LUA_TTABLE {
                lua_getfield_raw(L, kl_registryindex(), "kosmo.mt." + metatable)
                if lua_type(L, -1) == LUA_TTABLE { lua_setmetatable(L, -2) } else { kl_pop(L, 1) }
            }
            if case .table(let fields) = raise.value, case .string(let kind)? = fields.first(where: { $0.0 == "kind" })?.1 {
                recordRaised(on: L, at: -1, kind: kind)
            }
        } else if let runError = error as? RunError {
            lua_pushstring(L, runError.message)
        } else {
            lua_pushstring(L, String(describing: error))
        }
    }

    /// Registers a metatable by name for error tables (`LuaRaise.metatable`). The table on top of
    /// the stack of `L` (the main thread when nil) is popped and kept in the registry. It is
    /// protected (`__metatable = false` unless it says otherwise): the tables it is given to
    /// reach scripts, and a script that could change it (a `__gc`, a `__len`) would change every
    /// table the host marks with it.
    public func registerMetatable(named name: String, on L: OpaquePointer? = nil) {
        let L = L ?? state
        Self.protectMetatable(at: -1, on: L)
        lua_setfield_raw(L, kl_registryindex(), "kosmo.mt." + name)
    }

    /// Protects the metatable at `index` of `L` unless it has a `__metatable` already:
    /// `setmetatable` then refuses to replace it, and `getmetatable` returns its `__name`
    /// (`"json.array"`, `"replicate.error"`: what the value is, not the table) or false. A name
    /// rather than false keeps such values apart from the sandbox's read-only views, which
    /// `rawset` refuses and whose metatables are false.
    static func protectMetatable(at index: Int32, on L: OpaquePointer) {
        let table = lua_absindex(L, index)
        guard lua_type(L, table) == LUA_TTABLE else { return }
        if lua_getfield_raw(L, table, "__metatable") == LUA_TNIL {
            if lua_getfield_raw(L, table, "__name") != LUA_TSTRING {
                kl_pop(L, 1)
                lua_pushboolean(L, 0)
            }
            lua_setfield_raw(L, table, "__metatable")
        }
        kl_pop(L, 1)
    }
}

/// The arguments of one host-function call, read with raw accessors only (docs/architecture.md, rule 1).
/// Valid only during the call, like the stack slots it reads: async work must copy what it
/// needs out of it before it returns.
public struct LuaCall {
    /// The thread the call runs on (the main thread or a coroutine).
    public let L: OpaquePointer
    /// Not retained: the VM outlives the call, and a retain/release pair per call is a
    /// measurable share of a host call's cost.
    public unowned(unsafe) let vm: LuaVM

    /// Number of arguments passed.
    public var argumentCount: Int32 { lua_gettop(L) }

    /// Lua type of argument `index` (1-based), `LUA_TNONE` when absent.
    public func type(_ index: Int32) -> Int32 { lua_type(L, index) }
    public func isNil(_ index: Int32) -> Bool { lua_type(L, index) <= LUA_TNIL }

    /// The argument as a string when it is a string (numbers are not converted).
    public func string(_ index: Int32) -> String? { vm.stringValue(on: L, at: index) }

    /// The argument's raw bytes when it is a string.
    public func bytes(_ index: Int32) -> [UInt8]? { vm.bytesValue(on: L, at: index) }

    /// The argument as an integer (floats with an exact integer value too).
    public func integer(_ index: Int32) -> Int64? {
        guard lua_type(L, index) == LUA_TNUMBER else { return nil }
        var ok: Int32 = 0
        let value = kl_tointeger(L, index, &ok)
        return ok != 0 ? value : nil
    }

    public func number(_ index: Int32) -> Double? {
        guard lua_type(L, index) == LUA_TNUMBER else { return nil }
        return kl_tonumber(L, index, nil)
    }

    public func boolean(_ index: Int32) -> Bool { lua_toboolean(L, index) != 0 }

    /// Encodes the argument as JSON per the Values table; a value JSON cannot hold (a function,
    /// a cycle, a sparse array…) throws a `RunError` saying which.
    public func json(_ index: Int32) throws(RunError) -> [UInt8] {
        do throws(JSONError) { return try LuaToJSON.text(L, vm, at: index) } catch { throw failure(error) }
    }

    /// The argument as a `JSONValue`, walked straight from the Lua value (no JSON text in
    /// between) by the same rules as `json(_:)`: it is what reading back `json(index)` gives,
    /// and it fails where that fails, with the same message. With `openFiles`, an open Lua file
    /// (`io.open`) is `{path = …}`, the file it names (a call's file inputs take it).
    public func jsonValue(_ index: Int32, openFiles: Bool = false) throws(RunError) -> JSONValue {
        do throws(JSONError) { return try LuaToJSON.value(L, vm, at: index, openFiles: openFiles) } catch { throw failure(error) }
    }

    private func failure(_ error: JSONError) -> RunError {
        guard error.isMemory else { return RunError(kind: .runtime, message: error.message) }
        // The trampoline raises Lua's own memory error once this function has returned.
        kl_getstate(L).pointee.exceeded = 1
        return RunError(kind: .limit, message: error.message)
    }

    /// Pushes a value; returns 1 so `return call.push(x)` reads naturally.
    @discardableResult
    public func push(_ value: LuaValue) -> Int32 {
        vm.push(value, on: L)
        return 1
    }

    /// A readable error for a bad argument, as Lua's own library functions word them.
    public func argumentError(_ index: Int32, _ function: String, _ expected: String) -> LuaRaise {
        let got = lua_type(L, index) == LUA_TNONE ? "no value" : String(cString: lua_typename(L, lua_type(L, index)))
        return LuaRaise("bad argument #\(index) to '\(function)' (\(expected) expected, got \(got))")
    }
}
