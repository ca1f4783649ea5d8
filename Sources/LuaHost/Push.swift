import CLua
import CLuaBridge

extension LuaVM {
    /// Pushes a `LuaValue` onto thread `L`. Runs with the allocator in "never fail" mode; the
    /// C side raises a memory error afterwards if the limit was passed.
    public func push(_ value: LuaValue, on L: OpaquePointer) {
        _ = lua_checkstack(L, 4)
        switch value {
        case .nil: lua_pushnil(L)
        case .null: lua_pushlightuserdata(L, nil)
        case .boolean(let b): lua_pushboolean(L, b ? 1 : 0)
        case .integer(let i): lua_pushinteger(L, i)
        case .number(let d): lua_pushnumber(L, d)
        case .string(let s):
            var s = s
            s.withUTF8 { buffer in
                buffer.withMemoryRebound(to: CChar.self) { _ = lua_pushlstring(L, $0.baseAddress, $0.count) }
            }
        case .bytes(let bytes):
            bytes.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { _ = lua_pushlstring(L, $0.baseAddress, $0.count) }
            }
        case .array(let items):
            lua_createtable(L, Int32(clamping: items.count), 0)
            for (offset, item) in items.enumerated() {
                push(item, on: L)
                lua_rawseti(L, -2, lua_Integer(offset + 1))
            }
            pushMarker(.array, on: L)
            lua_setmetatable(L, -2)
        case .table(let fields):
            lua_createtable(L, 0, Int32(clamping: fields.count))
            for (key, item) in fields {
                if case .nil = item { continue }
                push(.string(key), on: L)
                push(item, on: L)
                lua_rawset(L, -3)
            }
        case .json(let bytes):
            var decoder = JSONToLua(L: L, vm: self, keepObjectNulls: false)
            do { try decoder.decode(bytes) } catch { lua_pushnil(L) }
        case .jsonValue(let value):
            var pusher = JSONValueToLua(L: L, vm: self, keepObjectNulls: false)
            do { try pusher.push(value) } catch { lua_pushnil(L) }
        }
    }

    enum Marker: String { case array = "kosmo.json.array", object = "kosmo.json.object" }

    /// Pushes the metatable that marks a table as a JSON array or object.
    func pushMarker(_ marker: Marker, on L: OpaquePointer) {
        lua_getfield_raw(L, kl_registryindex(), marker.rawValue)
    }

    /// Whether the table at `index` of `L` has a protected metatable (one with a `__metatable`
    /// field) that is not one of the JSON markers.
    func hasForeignProtectedMetatable(at index: Int32, on L: OpaquePointer) -> Bool {
        let table = lua_absindex(L, index)
        guard lua_getmetatable(L, table) != 0 else { return false }
        defer { kl_pop(L, 1) }
        for marker in [Marker.array, .object] {
            pushMarker(marker, on: L)
            let same = lua_rawequal(L, -1, -2) != 0
            kl_pop(L, 1)
            if same { return false }
        }
        let protected = lua_getfield_raw(L, -1, "__metatable") != LUA_TNIL
        kl_pop(L, 1)
        return protected
    }
}
