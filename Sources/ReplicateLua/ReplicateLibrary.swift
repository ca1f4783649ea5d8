import CLua
import CLuaBridge
import LuaHost
import Replicate

/// Installs the global `replicate` table: the 37 catalog functions (and their `replicate_`
/// aliases) as Swift host functions, and the helpers, which `lua/_replicate.lua` assembles.
public enum ReplicateLibrary {
    /// Adds `replicate` to `vm`'s globals (and to `package.loaded` where there is one).
    public static func install(in vm: LuaVM, session: ReplicateSession) throws(RunError) {
        try install(in: vm, session: SessionSource(session))
    }

    /// Adds `replicate` to `vm`'s globals, its session made by the first call that needs it.
    public static func install(in vm: LuaVM, session: SessionSource) throws(RunError) {
        let L = vm.state
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        do {
            try pushTable(vm, on: L, session: session)
        } catch let raise as LuaRaise {
            if case .string(let message) = raise.value { throw RunError(kind: .runtime, message: message) }
            throw RunError(kind: .runtime, message: "cannot build the replicate table")
        } catch {
            throw RunError(kind: .runtime, message: "\(error)")
        }
        setGlobal(vm, on: L)
    }

    /// `install`, but the table is built on first use (standard profile only: the sandbox's
    /// table is a read-only proxy). A script that never touches `replicate` does not pay for
    /// its 37 functions, the catalog and `lua/_replicate.lua` at start-up.
    public static func installLazily(in vm: LuaVM, session: SessionSource) throws(RunError) {
        guard vm.profile == .standard else { return try install(in: vm, session: session) }
        let L = vm.state
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        // `load()`: the real table and `missing`, its "does not exist" error, built on the
        // calling thread (which may be a coroutine).
        vm.pushHostFunction(.sync { call in
            let L = call.L
            try pushTable(call.vm, on: L, session: session)
            lua_getfield_raw(L, -2, "missing")
            return 2
        })
        try vm.pushEmbeddedModule("_replicate_lazy", argumentCount: 1)
        setGlobal(vm, on: L)
    }

    /// Pushes onto `L` the host table `lua/_replicate.lua` receives and, above it, the
    /// `replicate` table it returns; registers the error and event metatables.
    private static func pushTable(_ vm: LuaVM, on L: OpaquePointer, session: SessionSource) throws {
        lua_createtable(L, 0, 24)
        lua_createtable(L, 0, Int32(Catalog.operations.count))
        for operation in Catalog.operations {
            vm.register(operation.name, in: -1, on: L, catalogFunction(operation, session))
        }
        lua_setfield_raw(L, -2, "ops")
        Helpers.register(in: vm, table: lua_gettop(L), on: L, session: session)
        lua_pushboolean(L, session.sandboxed ? 1 : 0)
        lua_setfield_raw(L, -2, "sandboxed")
        // The errors the module raises itself (bad options of map and all) are the host's too.
        vm.pushRaisedErrors(on: L)
        lua_setfield_raw(L, -2, "raised")

        lua_pushvalue(L, -1)
        try vm.callEmbedded("_replicate", on: L, argumentCount: 1)
        // The module left its metatables in the host table for the registry.
        for (field, name) in [("error_mt", LuaErrors.metatable), ("event_mt", Helpers.eventMetatable)] {
            lua_getfield_raw(L, -2, field)
            vm.registerMetatable(named: name, on: L)
        }
    }

    /// Sets the table on top of `L` as the global `replicate` and `package.loaded.replicate`.
    private static func setGlobal(_ vm: LuaVM, on L: OpaquePointer) {
        vm.pushGlobals(on: L)
        lua_pushvalue(L, -2)
        lua_setfield_raw(L, -2, "replicate")
        if lua_getfield_raw(L, -1, "package") == LUA_TTABLE, lua_getfield_raw(L, -1, "loaded") == LUA_TTABLE {
            lua_pushvalue(L, -4)
            lua_setfield_raw(L, -2, "replicate")
        }
    }

    /// One catalog function: resolve its Lua arguments (`ArgumentMapper`), then the pipeline's
    /// stages (`CallPipeline`) with the call's one request; its answer decoded into Lua.
    static func catalogFunction(_ operation: OperationSpec, _ source: SessionSource) -> HostFunction {
        let namesRun = operation.name.contains("prediction") || operation.name.contains("training")
        let decode: @Sendable (APIResponse) throws -> CallResult = { response in
            let value: LuaValue = operation.method == "DELETE" ? .boolean(true) : LuaJSON.value(response)
            return CallResult([value], status: response.status, run: namesRun ? response.body : nil)
        }
        return .work { call in
            let session = try source.get(for: operation.name)
            var arguments = try ArgumentMapper(operation: operation, function: operation.name).map(call)
            var cursor: String?
            if operation.paginated, let value = arguments.removeValue(forKey: "cursor") {
                guard let text = value.stringValue, !text.isEmpty else {
                    throw LuaErrors.validation(function: operation.name, message: "replicate.\(operation.name): 'cursor' must be a page's next URL or its cursor string")
                }
                cursor = text
            }
            // A creating call may also take `validate = false`: the model-input check is skipped.
            var validates = true
            if operation.creates != nil, let validate = arguments.removeValue(forKey: "validate") {
                guard let flag = validate.boolValue else {
                    throw LuaErrors.validation(function: operation.name, message: "replicate.\(operation.name): 'validate' must be true or false")
                }
                validates = flag
            }
            var pending = ReplicateCall(function: operation.name, operation: operation, arguments: arguments)
            pending.validates = validates
            let pipeline = session.pipeline
            let admitted = try pipeline.admit(pending, page: cursor, from: call)
            return pipeline.execute(admitted, .exchange(decode: decode))
        }
    }
}
