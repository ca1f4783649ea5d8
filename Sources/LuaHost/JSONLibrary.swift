import CLua
import CLuaBridge
import KosmoCore

/// The global `json` table: `encode`, `decode`, `null`, `array`, `object` (docs/architecture.md, "Values").
enum JSONLibrary {
    static func install(in vm: LuaVM) throws {
        let L = vm.state
        // The markers are shared by every array and object the host makes, so they are protected:
        // a `__gc` or `__len` set on one would act on all of them.
        for marker in [LuaVM.Marker.array, .object] {
            lua_createtable(L, 0, 2)
            lua_pushstring(L, marker == .array ? "json.array" : "json.object")
            lua_setfield_raw(L, -2, "__name")
            LuaVM.protectMetatable(at: -1, on: L)
            lua_setfield_raw(L, kl_registryindex(), marker.rawValue)
        }
        lua_createtable(L, 0, 6)
        vm.register("encode", in: -1) { call in
            guard call.argumentCount >= 1 else { throw call.argumentError(1, "encode", "value") }
            do {
                return call.push(.bytes(try call.json(1)))
            } catch let failure as RunError where failure.kind != .limit {
                // A memory failure stays as it is: the trampoline raises Lua's memory error.
                throw LuaRaise("json.encode: " + failure.message)
            }
        }
        vm.register("decode", in: -1) { call in
            guard call.type(1) == LUA_TSTRING else { throw call.argumentError(1, "decode", "string") }
            var keepNulls = false
            if call.type(2) == LUA_TTABLE {
                keepNulls = lua_getfield_raw(call.L, 2, "nulls") == LUA_TLIGHTUSERDATA
                kl_pop(call.L, 1)
            }
            var decoder = JSONToLua(L: call.L, vm: call.vm, keepObjectNulls: keepNulls)
            do throws(JSONError) {
                try decoder.decode(stringAt: 1)
            } catch {
                throw LuaRaise("json.decode: " + error.message)
            }
            return 1
        }
        for marker in [LuaVM.Marker.array, .object] {
            let name = marker == .array ? "array" : "object"
            vm.register(name, in: -1) { call in
                let L = call.L
                if call.isNil(1) {
                    lua_settop(L, 0)
                    lua_createtable(L, 0, 0)
                } else if call.type(1) == LUA_TTABLE {
                    lua_settop(L, 1)
                    // A table whose metatable is protected (a library table, `_G`, a proxy)
                    // keeps it: marking it would strip the protection.
                    if call.vm.hasForeignProtectedMetatable(at: 1, on: L) {
                        throw LuaRaise("json.\(name): cannot mark a table whose metatable is protected; copy its fields into a new table first")
                    }
                } else {
                    throw call.argumentError(1, name, "table or nil")
                }
                call.vm.pushMarker(marker, on: L)
                lua_setmetatable(L, 1)
                return 1
            }
        }
        lua_pushlightuserdata(L, nil)
        lua_setfield_raw(L, -2, "null")
        vm.pushGlobals()
        kl_insert(L, -2)
        lua_setfield_raw(L, -2, "json")
        kl_pop(L, 1)
    }
}
