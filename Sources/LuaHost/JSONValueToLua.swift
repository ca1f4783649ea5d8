import CLua
import CLuaBridge
import KosmoCore

/// A `JSONValue` pushed straight onto the Lua stack as the values its JSON text would decode to
/// (`JSONToLua`, per the Values table of docs/architecture.md): objects drop `null` members
/// (unless `keepObjectNulls`), arrays are marked, `null` is `json.null`, integers stay integers;
/// the same depth limit, and the memory limit checked after each value.
struct JSONValueToLua {
    let L: OpaquePointer
    let vm: LuaVM
    let keepObjectNulls: Bool

    /// Pushes `value` and leaves exactly one value on the stack, or throws with the stack as it was.
    mutating func push(_ value: JSONValue) throws(JSONError) {
        let top = lua_gettop(L)
        let state = kl_getstate(L)
        guard lua_checkstack(L, 2) != 0 else { throw JSONError(.luaStackExhausted) }
        // The array marker, fetched once and copied for every array (slot top + 1, removed at the end).
        lua_getfield_raw(L, kl_registryindex(), LuaVM.Marker.array.rawValue)
        do throws(JSONError) {
            try push(value, depth: 0, state: state, arrayMarker: top + 1)
        } catch {
            lua_settop(L, top)
            throw error
        }
        kl_remove(L, top + 1)
    }

    private func push(_ value: JSONValue, depth: Int, state: UnsafeMutablePointer<kl_state>, arrayMarker: Int32) throws(JSONError) {
        switch value {
        case .null: lua_pushlightuserdata(L, nil)
        case .bool(let b): lua_pushboolean(L, b ? 1 : 0)
        case .int(let i): lua_pushinteger(L, i)
        case .double(let d): lua_pushnumber(L, d)
        case .string(let s): pushString(s)
        case .array(let items):
            try enter(depth: depth + 1, state: state)
            lua_createtable(L, Int32(clamping: items.count), 0)
            lua_pushvalue(L, arrayMarker)
            lua_setmetatable(L, -2)
            var index: lua_Integer = 1
            for item in items {
                try push(item, depth: depth + 1, state: state, arrayMarker: arrayMarker)
                try checkMemory(state)
                lua_rawseti(L, -2, index)
                index += 1
            }
        case .object(let members):
            try enter(depth: depth + 1, state: state)
            lua_createtable(L, 0, Int32(clamping: members.count))
            for (key, member) in members {
                if !keepObjectNulls, case .null = member { continue }
                pushString(key)
                try push(member, depth: depth + 1, state: state, arrayMarker: arrayMarker)
                try checkMemory(state)
                lua_rawset(L, -3)
            }
        }
    }

    private func pushString(_ s: String) {
        var s = s
        s.withUTF8 { buffer in
            buffer.withMemoryRebound(to: CChar.self) { _ = lua_pushlstring(L, $0.baseAddress, $0.count) }
        }
    }

    private func enter(depth: Int, state: UnsafeMutablePointer<kl_state>) throws(JSONError) {
        if depth > JSONLimits.luaDepth { throw JSONError(.nestedTooDeeply(limit: JSONLimits.luaDepth)) }
        try checkMemory(state)
        if lua_checkstack(L, 4) == 0 { throw JSONError(.luaStackExhausted) }
    }

    /// As in `JSONToLua`: values are pushed with the allocator in "never fail" mode, so a value
    /// too large for the memory limit stops within one value of it.
    @inline(__always) private func checkMemory(_ state: UnsafeMutablePointer<kl_state>) throws(JSONError) {
        if state.pointee.exceeded != 0 { throw JSONError(.notEnoughMemory) }
    }
}
