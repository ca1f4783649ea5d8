import CLua
import CLuaBridge
import Foundation
import LuaHost
import ReplicateLua

/// The interactive loop: state kept between lines, expressions print their values
/// (pretty-printed, colours on a terminal), `=expr`, multi-line chunks, Ctrl-C, Ctrl-D.
struct REPL {
    let vm: LuaVM
    /// Where the `replicate` table gets its session: what a stopped line left running is named.
    var sessions: SessionSource? = nil

    func run() {
        // Ctrl-C must stop a loop even inside a coroutine; a script runs without the hook
        // unless a limit needs it, since it slows every instruction.
        vm.keepCountHook()
        // A REPL must end when its terminal hangs up or it is asked to stop.
        Interrupts.unblock([SIGHUP, SIGTERM, SIGINT])
        // Tab completion reads tables raw (it must not run code), so build the lazily made
        // `replicate` table now: `pairs` on it does.
        _ = try? vm.run(Array("local r = rawget(_G, 'replicate') if type(r) == 'table' then pairs(r) end".utf8), chunkName: "=(repl)")
        let editor = LineEditor(vm: vm)
        let printer = makePrinter()
        while let first = editor.readLine(prompt: prompt(primary: true)) {
            var chunk = first.hasPrefix("=") ? "return " + first.dropFirst() : first
            var entry = first
            while true {
                switch compile(chunk) {
                case .ready:
                    editor.remember(entry)
                    execute(printer: printer)
                case .incomplete:
                    guard let more = editor.readLine(prompt: prompt(primary: false)) else {
                        print()
                        return
                    }
                    chunk += "\n" + more
                    entry += "\n" + more
                    continue
                case .failed(let error):
                    editor.remember(entry)
                    StandardError.report(error.message)
                }
                break
            }
        }
        print()
    }

    enum Compiled { case ready, incomplete, failed(RunError) }

    /// Tries `return <line>` first so expressions print their values, as `lua.c` does.
    func compile(_ chunk: String) -> Compiled {
        do {
            try vm.load(Array(("return " + chunk).utf8), chunkName: "=stdin")
            return .ready
        } catch {}
        do {
            try vm.load(Array(chunk.utf8), chunkName: "=stdin")
            return .ready
        } catch {
            if error.kind == .syntax, error.message.hasSuffix("<eof>") { return .incomplete }
            return .failed(error)
        }
    }

    /// Runs the compiled chunk on top of the stack and prints what it returns.
    func execute(printer: Int32?) {
        let L = vm.state
        let base = lua_gettop(L) - 1
        defer { lua_settop(L, base) }
        Interrupts.arm(vm)
        defer { Interrupts.disarm(); vm.clearInterrupt() }
        let createdBefore = sessions?.ifMade?.createdCount ?? 0
        do {
            try vm.call(argumentCount: 0, resultCount: LUA_MULTRET)
        } catch {
            StandardError.report(error.description)
            // A line stopped while it waited leaves its predictions running (the REPL goes
            // on, so nothing is canceled): say which, as a stopped script does.
            if error.kind == .interrupted, let session = sessions?.ifMade,
               let line = ReplicateSession.describe(session.lastSeenRunning(since: createdBefore)) {
                StandardError.report(line)
            }
            return
        }
        let count = lua_gettop(L) - base
        guard count > 0, let printer else { return }
        lua_rawgeti(L, kl_registryindex(), lua_Integer(printer))
        kl_insert(L, base + 1)
        do {
            try vm.call(argumentCount: count, resultCount: 0)
        } catch {
            StandardError.report("error calling 'print' (\(error.message))")
        }
    }

    /// The pretty printer from `lua/_repl.lua`, kept in the registry; nil if it failed to load.
    func makePrinter() -> Int32? {
        let L = vm.state
        do {
            try vm.pushEmbeddedModule("pretty")
            lua_pushboolean(L, isatty(1) != 0 ? 1 : 0)
            try vm.pushEmbeddedModule("_repl", argumentCount: 2)
        } catch {
            StandardError.report(error.message)
            return nil
        }
        return luaL_ref(L, kl_registryindex())
    }

    /// `_PROMPT` / `_PROMPT2` when the script set them, as in `lua`.
    func prompt(primary: Bool) -> String {
        let L = vm.state
        vm.pushGlobals()
        lua_pushstring(L, primary ? "_PROMPT" : "_PROMPT2")
        lua_rawget(L, -2)
        defer { kl_pop(L, 2) }
        return vm.stringValue(on: L, at: -1) ?? (primary ? "> " : ">> ")
    }
}
