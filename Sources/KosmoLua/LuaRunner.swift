import CLua
import CLuaBridge
import Foundation
import KosmoJournal
import LuaHost
import ReplicateLua

/// `kosmo-lua [options] [script [args]]`: the drop-in for `lua5.4`, step for step as `lua.c`'s
/// `pmain` does it (arg table, version, LUA_INIT, -e/-l/-W in order, script, then -i or stdin).
struct LuaRunner {
    let options: LuaOptions
    let vm: LuaVM
    /// The `replicate` table's session, once a call made it.
    let sessions: SessionSource?

    /// Runs the command line; returns the process exit status.
    static func main(_ arguments: [String]) -> Int32 {
        let options: LuaOptions
        do {
            options = try LuaOptions.parse(arguments)
        } catch {
            StandardError.report(error.message)
            StandardError.write(LuaOptions.usage + "\n")
            return 1
        }
        if options.showHelp {
            print(LuaOptions.usage)
            return 0
        }
        var log: RunLogWriter?
        if let path = options.logPath {
            do {
                log = try RunLogWriter(path: path, script: options.scriptIndex.map { arguments[$0] })
            } catch {
                StandardError.report(error.message)
                return 1
            }
        }
        let limits = options.limits
        let output = OutputCapture(keep: false, passthrough: true, limit: options.sandbox ? limits.outputBytes : nil)
        let vm: LuaVM
        do {
            vm = try LuaVM(profile: options.sandbox ? .sandbox : .standard, limits: limits, output: output,
                           ignoreEnvironment: options.ignoreEnvironment)
        } catch {
            StandardError.report("cannot start Lua: \(error)")
            return 1
        }
        if let seconds = limits.timeoutSeconds {
            let shown = seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
            vm.watchdogMessage = "kosmo-lua: time limit exceeded (\(shown) s): the script was stuck inside a C function, so the watchdog ended it\n"
        }
        let sessions: SessionSource
        do {
            sessions = try ReplicateSetup.install(in: vm, flags: options.replicateFlags, sandboxed: options.sandbox, log: log,
                                                  script: options.scriptSource)
        } catch {
            StandardError.report(error.message)
            log?.finish(exitStatus: 1)
            return 1
        }
        let runner = LuaRunner(options: options, vm: vm, sessions: sessions)
        let status = runner.run()
        if status != 0 { runner.reportLeftRunning() }
        log?.finish(exitStatus: status)
        return status
    }

    /// After a failed or stopped run: names what it created that is still running (and, with
    /// `--cancel-on-exit`, cancels it first), so nothing keeps costing unseen.
    func reportLeftRunning() {
        guard let session = sessions?.ifMade else { return }
        // The one end every run passes (exec's too): creates still open are awaited first.
        let ending = session.endRun(failed: true)
        if let line = ReplicateSession.describe(ending.canceled + ending.running) { StandardError.report(line) }
    }

    func run() -> Int32 {
        createArgTable()
        if options.showVersion { printVersion() }
        if !options.ignoreEnvironment, !handleLuaInit() { return 1 }
        for action in options.actions {
            let ok: Bool
            switch action {
            case .execute(let code): ok = runChunk(Array(code.utf8), name: "=(command line)")
            case .require(let global, let module): ok = requireModule(global: global, module: module)
            case .warnings: lua_warning(vm.state, "@on", 0); ok = true
            }
            if !ok { return 1 }
        }
        if let scriptIndex = options.scriptIndex, !runScript(at: scriptIndex) { return 1 }
        if options.interactive {
            REPL(vm: vm, sessions: sessions).run()
        } else if options.scriptIndex == nil, !options.hasExecute, !options.showVersion {
            if isatty(0) != 0 {
                printVersion()
                REPL(vm: vm, sessions: sessions).run()
            } else if !runChunk(readStandardInput(), name: "=stdin") {
                return 1
            }
        }
        return 0
    }

    func printVersion() {
        print(Version.banner)
        fflush(nil)
    }

    /// `arg`: the script at 0, its arguments at 1..n, interpreter and options below 0. In the
    /// sandbox only the script and its arguments: the host's path and its flags are not the
    /// script's to read.
    func createArgTable() {
        let L = vm.state
        let arguments = options.arguments
        let base = options.scriptIndex ?? 0
        let first = options.sandbox ? (options.scriptIndex ?? arguments.count) : 0
        lua_createtable(L, Int32(max(0, arguments.count - base - 1)), Int32(base + 1))
        for (i, argument) in arguments.enumerated() where i >= first {
            lua_pushstring(L, argument)
            lua_rawseti(L, -2, lua_Integer(i - base))
        }
        vm.pushGlobals()
        kl_insert(L, -2)
        lua_pushstring(L, "arg")
        kl_insert(L, -2)
        lua_rawset(L, -3)
        kl_pop(L, 1)
    }

    func handleLuaInit() -> Bool {
        // getenv, not ProcessInfo's environment: building that dictionary was a tenth of
        // `kosmo-lua -e ''`'s start-up.
        func variable(_ key: String) -> String? { getenv(key).map { String(cString: $0) } }
        var name = "=LUA_INIT_5_4"
        var value = variable("LUA_INIT_5_4")
        if value == nil {
            name = "=LUA_INIT"
            value = variable("LUA_INIT")
        }
        guard let value else { return true }
        if value.hasPrefix("@") {
            let path = String(value.dropFirst())
            guard let bytes = readFile(path) else { return false }
            return runChunk(bytes, name: "@" + path)
        }
        return runChunk(Array(value.utf8), name: name)
    }

    func requireModule(global: String, module: String) -> Bool {
        let L = vm.state
        vm.pushGlobals()
        lua_pushstring(L, "require")
        lua_rawget(L, -2)
        kl_remove(L, -2)
        lua_pushstring(L, module)
        do {
            try vm.call(argumentCount: 1, resultCount: 1)
        } catch {
            report(error)
            return false
        }
        vm.pushGlobals()
        kl_insert(L, -2)
        lua_pushstring(L, global)
        kl_insert(L, -2)
        lua_rawset(L, -3)
        kl_pop(L, 1)
        return true
    }

    func runScript(at index: Int) -> Bool {
        let arguments = options.arguments
        let path = arguments[index]
        let fromStdin = path == "-" && (index == 0 || arguments[index - 1] != "--")
        let bytes: [UInt8]
        if fromStdin {
            bytes = readStandardInput()
        } else {
            guard let contents = readFile(path) else { return false }
            bytes = contents
        }
        let scriptArguments = Array(arguments.dropFirst(index + 1))
        return runChunk(bytes, name: fromStdin ? "=stdin" : "@" + path, arguments: scriptArguments)
    }

    /// Loads and runs one chunk; reports an error as `lua` does and returns false on failure.
    @discardableResult
    func runChunk(_ bytes: [UInt8], name: String, arguments: [String] = []) -> Bool {
        let L = vm.state
        let top = lua_gettop(L)
        defer { lua_settop(L, top) }
        do {
            try vm.load(bytes, chunkName: name)
            for argument in arguments { lua_pushstring(L, argument) }
            // Ctrl-C, and a request to stop (SIGTERM) or a closed terminal (SIGHUP), end the
            // run as an interrupt: what it leaves running is named (and canceled with
            // --cancel-on-exit) as for any stopped run.
            Interrupts.arm(vm, on: [SIGINT, SIGTERM, SIGHUP])
            defer { Interrupts.disarm(); vm.clearInterrupt() }
            try vm.call(argumentCount: Int32(arguments.count), resultCount: 0)
            return true
        } catch {
            report(error)
            return false
        }
    }

    func report(_ error: RunError) {
        StandardError.report(error.description)
    }

    func readFile(_ path: String) -> [UInt8]? {
        switch ScriptFile.read(path) {
        case .success(let bytes): return bytes
        case .failure(let failure):
            StandardError.report(failure.message)
            return nil
        }
    }

    func readStandardInput() -> [UInt8] {
        Array((try? FileHandle.standardInput.readToEnd()) ?? Data())
    }
}
