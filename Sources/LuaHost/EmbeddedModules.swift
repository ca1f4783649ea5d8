import CLua
import CLuaBridge

extension LuaVM {
    /// Names of the Lua modules compiled into the binary that scripts may `require`.
    public static var embeddedModuleNames: [String] {
        EmbeddedLuaModules.publicNames
    }

    /// Makes `require "name"` find the embedded modules: through `package.preload` in the
    /// standard profile; the sandbox's own `require` (see `Sandbox`) knows only these.
    func installEmbeddedModules() throws {
        guard profile == .standard else { return }
        let L = state
        pushGlobals()
        defer { kl_pop(L, 1) }
        guard lua_getfield_raw(L, -1, "package") == LUA_TTABLE else { kl_pop(L, 1); return }
        defer { kl_pop(L, 1) }
        guard lua_getfield_raw(L, -1, "preload") == LUA_TTABLE else { kl_pop(L, 1); return }
        defer { kl_pop(L, 1) }
        for name in LuaVM.embeddedModuleNames {
            register(name, in: -1) { call in
                guard let name = call.string(1) else { throw call.argumentError(1, name, "string") }
                return try call.vm.runEmbedded(name, on: call.L)
            }
        }
    }

    /// The sandbox's `require`: embedded modules only, each loaded once.
    func requireEmbedded(_ name: String, on L: OpaquePointer) throws -> Int32 {
        let cacheKey = "kosmo.loaded." + name
        if lua_getfield_raw(L, kl_registryindex(), cacheKey) != LUA_TNIL { return 1 }
        kl_pop(L, 1)
        guard !name.hasPrefix("_"), EmbeddedLuaModules.source(name) != nil else {
            let available = LuaVM.embeddedModuleNames.joined(separator: ", ")
            throw LuaRaise("module '\(name)' is not available in the sandbox (available: \(available))")
        }
        _ = try runEmbedded(name, on: L)
        if lua_type(L, -1) == LUA_TNIL { kl_pop(L, 1); lua_pushboolean(L, 1) }
        lua_pushvalue(L, -1)
        lua_setfield_raw(L, kl_registryindex(), cacheKey)
        return 1
    }

    /// Compiles and runs embedded module `name`, leaving its value on the stack of `L`.
    func runEmbedded(_ name: String, on L: OpaquePointer) throws -> Int32 {
        lua_pushstring(L, name)
        try callEmbedded(name, on: L, argumentCount: 1)
        return 1
    }

    /// Compiles and runs embedded module `name` (the internal `_` ones too) on thread `L`, with
    /// the top `argumentCount` values as `...`, replacing them with the module's value. For
    /// host functions: a failure throws a `LuaRaise` with the error message.
    public func callEmbedded(_ name: String, on L: OpaquePointer, argumentCount: Int32) throws {
        guard let source = EmbeddedLuaModules.source(name) else { throw LuaRaise("module '\(name)' not found") }
        let bytes = Array(source.utf8)
        let status = bytes.withUnsafeBufferPointer { b in
            b.withMemoryRebound(to: CChar.self) { kl_load(L, $0.baseAddress, $0.count, "@lua/\(name).lua", 0) }
        }
        if status != LUA_OK { throw LuaRaise(value: .string(stringValue(on: L, at: -1) ?? "cannot load module \(name)")) }
        kl_insert(L, -1 - argumentCount)
        let callStatus = kl_pcall(L, argumentCount, 1)
        if callStatus != LUA_OK { throw LuaRaise(value: .string(stringValue(on: L, at: -1) ?? "error loading module \(name)")) }
    }

    /// The bytes of the string at `index` of thread `L` (only actual strings; numbers are not converted).
    public func bytesValue(on L: OpaquePointer, at index: Int32) -> [UInt8]? {
        guard lua_type(L, index) == LUA_TSTRING else { return nil }
        var length = 0
        guard let p = kl_tolstring_raw(L, index, &length) else { return nil }
        return Array(UnsafeRawBufferPointer(start: p, count: length))
    }

    /// The string at `index` of thread `L` (only actual strings; numbers are not converted).
    public func stringValue(on L: OpaquePointer, at index: Int32) -> String? {
        guard lua_type(L, index) == LUA_TSTRING else { return nil }
        var length = 0
        guard let p = kl_tolstring_raw(L, index, &length) else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: p, count: length), as: UTF8.self)
    }
}

extension LuaVM {
    /// Runs embedded module `name` (also the internal `_`-prefixed ones) with the top
    /// `argumentCount` stack values as `...`, replacing them with the module's value.
    /// For the host's own Lua code (the REPL printer…).
    public func pushEmbeddedModule(_ name: String, argumentCount: Int32 = 0) throws(RunError) {
        guard let source = EmbeddedLuaModules.source(name) else {
            throw RunError(kind: .runtime, message: "module '\(name)' is not built in")
        }
        try load(Array(source.utf8), chunkName: "@lua/\(name).lua")
        kl_insert(state, -1 - argumentCount)
        let status = kl_pcall(state, argumentCount, 1)
        if status != LUA_OK { throw popError(kind: .runtime, status: status) }
    }
}
