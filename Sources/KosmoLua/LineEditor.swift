import CLibEdit
import CLua
import CLuaBridge
import Foundation
import LuaHost

/// Line editing for the REPL on libedit: history in `~/.kosmo_lua_history`, Tab completion of
/// globals and table fields (`string.fo<Tab>`).
final class LineEditor {
    let historyPath: String
    static let historyLimit: Int32 = 1000

    init(vm: LuaVM) {
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        historyPath = (home as NSString).appendingPathComponent(".kosmo_lua_history")
        Completion.vm = vm
        if kosmo_editline_load() == 0 {
            StandardError.write("kosmo-lua: libedit could not be loaded (apt-get install libedit2), so the REPL reads plain lines: no history or completion\n")
        }
        kosmo_read_history(historyPath)
        kosmo_rl_configure({ text, _, _ in
            kosmo_rl_completion_over()
            return kosmo_rl_completion_matches(text) { text, state in
                if state == 0 { Completion.compute(text.map { String(cString: $0) } ?? "") }
                guard Completion.next < Completion.candidates.count else { return nil }
                defer { Completion.next += 1 }
                return strdup(Completion.candidates[Completion.next])
            }
        }, " \t\n\"\\'><=;+-*/%^~#&|{}()[],")
    }

    /// Reads a line; nil at end of input (Ctrl-D).
    func readLine(prompt: String) -> String? {
        guard let raw = kosmo_readline(prompt) else { return nil }
        defer { free(raw) }
        return String(cString: raw)
    }

    func remember(_ entry: String) {
        guard !entry.trimmingCharacters(in: .whitespaces).isEmpty else { return }
        kosmo_add_history(entry)
        kosmo_write_history(historyPath, LineEditor.historyLimit)
    }
}

/// Completion candidates, computed by raw reads of the VM's tables (no metamethod runs; an
/// `__index` that is a table is followed, as for the sandbox's read-only libraries).
enum Completion {
    nonisolated(unsafe) static var vm: LuaVM?
    nonisolated(unsafe) static var candidates: [String] = []
    nonisolated(unsafe) static var next = 0

    static let keywords = ["and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto",
                           "if", "in", "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while"]

    static func compute(_ text: String) {
        candidates = []
        next = 0
        guard let vm else { return }
        let L = vm.state
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        var path = text
        var partial = text
        var separator = ""
        if let cut = text.lastIndex(where: { $0 == "." || $0 == ":" }) {
            path = String(text[..<cut])
            separator = String(text[cut])
            partial = String(text[text.index(after: cut)...])
        } else {
            path = ""
        }
        vm.pushGlobals()
        if !path.isEmpty {
            for component in path.split(separator: ".", omittingEmptySubsequences: false) {
                guard lua_type(L, -1) == LUA_TTABLE, rawField(L, String(component)) else { return }
            }
        }
        guard lua_type(L, -1) == LUA_TTABLE else { return }
        var names = Set<String>()
        var depth = 0
        while lua_type(L, -1) == LUA_TTABLE, depth < 8 {
            let table = lua_gettop(L)
            lua_pushnil(L)
            while lua_next(L, table) != 0 {
                kl_pop(L, 1)
                if lua_type(L, -1) == LUA_TSTRING, let key = vm.stringValue(on: L, at: -1), key.hasPrefix(partial),
                   key.first.map({ $0.isLetter || $0 == "_" }) == true {
                    names.insert(key)
                }
            }
            guard lua_getmetatable(L, table) != 0 else { break }
            lua_pushstring(L, "__index")
            lua_rawget(L, -2)
            depth += 1
        }
        if path.isEmpty { names.formUnion(keywords.filter { $0.hasPrefix(partial) }) }
        let prefix = path.isEmpty ? "" : path + separator
        candidates = names.sorted().map { prefix + $0 }
    }

    /// Replaces the table on top with its raw field `name` (following table `__index`es).
    private static func rawField(_ L: OpaquePointer, _ name: String) -> Bool {
        var depth = 0
        while depth < 8 {
            lua_pushstring(L, name)
            if lua_rawget(L, -2) != LUA_TNIL {
                kl_remove(L, -2)
                return true
            }
            kl_pop(L, 1)
            guard lua_getmetatable(L, -1) != 0 else { return false }
            lua_pushstring(L, "__index")
            lua_rawget(L, -2)
            kl_remove(L, -2)
            kl_remove(L, -2)
            guard lua_type(L, -1) == LUA_TTABLE else { return false }
            depth += 1
        }
        return false
    }
}
