import CLua
import CLuaBridge

/// The error tables the host raised, each with its kind, in a weak-keyed registry table. An
/// envelope's error kind (`permission`, `http`, `limit`, …) comes from here, never from the
/// table's own `kind` field, which a script could have written itself (`error{kind = ...}`)
/// or changed after catching a host error.
extension LuaVM {
    static let raisedErrorsKey = "kosmo.raised"

    /// Creates the weak-keyed table once, at start-up: raised tables stay collectable.
    func createRaisedErrorsTable() {
        let L = state
        lua_createtable(L, 0, 0)
        lua_createtable(L, 0, 1)
        lua_pushstring(L, "k")
        lua_setfield_raw(L, -2, "__mode")
        lua_setmetatable(L, -2)
        lua_setfield_raw(L, kl_registryindex(), Self.raisedErrorsKey)
    }

    /// Pushes the table onto `L`, for the refusals Lua modules raise themselves (`lua/_sandbox.lua`,
    /// the options of `replicate.map` and `all` in `lua/_replicate.lua`).
    public func pushRaisedErrors(on L: OpaquePointer) {
        lua_getfield_raw(L, kl_registryindex(), Self.raisedErrorsKey)
    }

    /// Records the table at `index` of `L` as raised by the host with `kind`.
    func recordRaised(on L: OpaquePointer, at index: Int32, kind: String) {
        let table = lua_absindex(L, index)
        pushRaisedErrors(on: L)
        lua_pushvalue(L, table)
        lua_pushstring(L, kind)
        lua_rawset(L, -3)
        kl_pop(L, 1)
    }

    /// The kind the host raised the table at `index` with, nil for any other value.
    func raisedKind(at index: Int32) -> String? {
        let L = state
        let value = lua_absindex(L, index)
        guard lua_type(L, value) == LUA_TTABLE else { return nil }
        pushRaisedErrors(on: L)
        lua_pushvalue(L, value)
        defer { kl_pop(L, 2) }
        return lua_rawget(L, -2) == LUA_TSTRING ? stringValue(at: -1) : nil
    }
}
