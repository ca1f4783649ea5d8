import CLua
import LuaHost

/// The Swift half of `replicate.map` and `replicate.all`: runs Lua functions as scheduler
/// tasks (docs/architecture.md, "Concurrency"), so their `replicate.*` calls overlap.
enum TaskHelpers {
    /// `tasks(items, fn, concurrency)`: with `fn`, task i runs `fn(items[i], i)`; without, task i
    /// runs `items[i]()`, for i up to the items' raw length (a `__len` of the script's does not
    /// count: the tasks read the items raw). Returns `results, errors, first_failed_index_or_nil`.
    static func tasks(_ call: LuaCall) throws -> Int32 {
        let L = call.L
        guard call.type(1) == LUA_TTABLE else { throw call.argumentError(1, "tasks", "table") }
        let hasFunction = call.type(2) == LUA_TFUNCTION
        let concurrency = Int(call.integer(3) ?? 1)
        let count = Int(clamping: lua_rawlen(L, 1))
        let failures = try call.vm.runTasks(count: count, concurrency: concurrency, from: L) { thread, i in
            if hasFunction {
                lua_pushvalue(L, 2)
                lua_xmove(L, thread, 1)
            }
            lua_rawgeti(L, 1, lua_Integer(i))
            lua_xmove(L, thread, 1)
            guard hasFunction else { return 0 }
            lua_pushinteger(thread, lua_Integer(i))
            return 2
        }
        if let first = failures.map(\.index).min() { lua_pushinteger(L, lua_Integer(first)) } else { lua_pushnil(L) }
        return 3
    }
}
