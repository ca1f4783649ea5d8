import CLua
import CLuaBridge

/// Applies the sandbox profile: runs `lua/_sandbox.lua` with the host functions it needs.
enum Sandbox {
    static func apply(to vm: LuaVM) throws {
        let L = vm.state
        guard let source = EmbeddedLuaModules.source("_sandbox") else {
            throw RunError(kind: .runtime, message: "kosmo-lua was built without lua/_sandbox.lua")
        }
        try vm.load(Array(source.utf8), chunkName: "=[sandbox]")
        lua_createtable(L, 0, 6)
        vm.pushRaisedErrors(on: L)
        lua_setfield_raw(L, -2, "raised")
        kl_pushcfunction(L, kl_sandbox_setmetatable)
        lua_setfield_raw(L, -2, "setmetatable")
        kl_pushcfunction(L, kl_guarded_xpcall)
        lua_setfield_raw(L, -2, "xpcall")
        vm.register("write", in: -1) { call in
            guard let bytes = call.bytes(1) else { throw call.argumentError(1, "write", "string") }
            call.vm.output.write(bytes)
            return 0
        }
        // The names `require` may load, so the sandbox can refuse others before asking the host.
        lua_createtable(L, 0, Int32(LuaVM.embeddedModuleNames.count))
        for name in LuaVM.embeddedModuleNames {
            lua_pushboolean(L, 1)
            lua_setfield_raw(L, -2, name)
        }
        lua_setfield_raw(L, -2, "modules")
        vm.register("require", in: -1) { call in
            guard let name = call.string(1) else { throw call.argumentError(1, "require", "string") }
            return try call.vm.requireEmbedded(name, on: call.L)
        }
        let status = kl_pcall(L, 1, 0)
        if status != LUA_OK { throw vm.popError(kind: .runtime, status: status) }
    }
}
