import CLua

extension LuaVM {
    /// Where the Lua code that made the current host call is: `chunk:line` of the innermost
    /// frame on `L`'s stack that is the script's own code — C functions and the modules compiled
    /// into the binary (the `replicate` table's Lua half, which `map` and `stream` run through)
    /// are skipped. A file chunk is named by its file name only, so a script moved to another
    /// folder keeps its call sites. Nil when no Lua frame has a line (a call made from C).
    public func callSite(on L: OpaquePointer) -> String? {
        var record = lua_Debug()
        var level: Int32 = 0
        // lua_getstack and lua_getinfo with "Sl" read the stack and never raise.
        while lua_getstack(L, level, &record) != 0 {
            level += 1
            guard lua_getinfo(L, "Sl", &record) != 0, record.currentline > 0, let source = record.source else { continue }
            let chunk = String(cString: source)
            if Self.isEmbeddedChunk(chunk) { continue }
            return Self.siteName(chunk) + ":" + String(record.currentline)
        }
        return nil
    }

    /// `@lua/NAME.lua` of a module compiled into the binary (see `callEmbedded`).
    static func isEmbeddedChunk(_ chunk: String) -> Bool {
        guard chunk.hasPrefix("@lua/"), chunk.hasSuffix(".lua") else { return false }
        let name = String(chunk.dropFirst(5).dropLast(4))
        return EmbeddedLuaModules.source(name) != nil
    }

    /// A chunk's short name: a file's last path component, `(command line)` for `=(command
    /// line)`, and for a string chunk its first line, cut at 60 bytes.
    static func siteName(_ chunk: String) -> String {
        if chunk.hasPrefix("@") {
            let path = chunk.dropFirst()
            return path.split(separator: "/").last.map(String.init) ?? String(path)
        }
        if chunk.hasPrefix("=") { return String(chunk.dropFirst()) }
        let firstLine = chunk.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        return "[string \"" + String(decoding: Array(firstLine.utf8.prefix(60)), as: UTF8.self) + "\"]"
    }
}
