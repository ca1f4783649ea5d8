import Foundation
import Testing

/// Secret hygiene: with a known token, from the environment and from a config file,
/// every command is run as a user runs it and the token appears in none of what kosmo-lua
/// prints: stdout, stderr (errors, tracebacks, `--trace`, warnings), the REPL's screen, and the
/// simulator's request log. docs/architecture.md, rule 8: the token never enters the Lua state either, which
/// one script checks from inside by walking everything reachable.
@Suite("Secret hygiene", .serialized)
struct SecretHygieneTests {
    static let token = "r8_SECRETkosmo7f3c9a1e5b2d4c6e8a0b1c3d5e7f9a2b4c6"

    /// Where the token comes from.
    enum Source: String, CaseIterable, Sendable {
        case environment, configFile
    }

    /// Which simulator a command talks to.
    enum Target: Sendable {
        /// A `kosmo-lua sim` that accepts any token.
        case simulator
        /// A `kosmo-lua sim --token other`: every call is a 401.
        case rejectingSimulator
        /// A port where nothing listens: network errors.
        case nowhere
        /// No API base set (the command uses `--sim`, or never calls the API).
        case none
    }

    /// One command line to run with the token set.
    struct Command: Sendable {
        let name: String
        let arguments: [String]
        var target: Target = .simulator
        var stdin: String? = nil
        /// What its exit status must be (it runs as a user would; errors exit 1).
        var status: Int32 = 0
        /// Text its stdout or stderr must contain, to prove it did what it was meant to.
        var shows: String
    }

    /// Reads and writes (as a script, then the same in the sandbox).
    static let reads = """
        local acct = replicate.get_account()
        print(acct.username)
        print(require("pretty").format(replicate.get_model("replicate/hello-world")))
        local ok, e = pcall(replicate.get_model, "no/such")
        for k, v in pairs(e) do print("error field", k, v) end
        print(tostring(e))
        """

    /// Walks everything reachable from Lua (globals, the registry, metatables, upvalues, function
    /// environments) and reports whether the token is anywhere in it. The token to look for is
    /// read the way any script could read it: the environment or the config file.
    static let walker = """
        local probe = os.getenv("REPLICATE_API_TOKEN")
        if not probe or probe == "" then
          local f = assert(io.open(os.getenv("KOSMO_LUA_CONFIG")))
          probe = f:read("a"):match('api_token%s*=%s*"([^"]+)"')
          f:close()
        end
        assert(probe and #probe > 10, "no token to look for")
        local seen, strings, found = {}, 0, {}
        local function visit(v, path)
          local t = type(v)
          if t == "string" then
            strings = strings + 1
            if v:find(probe, 1, true) then found[#found + 1] = path end
            return
          end
          if (t ~= "table" and t ~= "function" and t ~= "userdata" and t ~= "thread") or seen[v] then return end
          seen[v] = true
          local mt = debug.getmetatable(v)
          if mt then visit(mt, path .. "<mt>") end
          if t == "table" then
            for k, x in next, v do visit(k, path .. "<key>"); visit(x, path .. "." .. tostring(k)) end
          elseif t == "function" then
            for i = 1, 255 do
              local name, x = debug.getupvalue(v, i)
              if not name then break end
              visit(x, path .. "^" .. name)
            end
          elseif t == "userdata" then
            visit(debug.getuservalue(v), path .. "<uv>")
          end
        end
        visit(_G, "_G")
        visit(debug.getregistry(), "registry")
        visit(getmetatable(""), "string_mt")
        print(("walked %d strings; token in the Lua state: %s"):format(strings, #found == 0 and "no" or table.concat(found, ", ")))
        """

    /// The commands every source of the token is tried with. Agent mode adds `exec`,
    /// `mcp` and `doctor`: see `agentModeCommands`.
    static let commands: [Command] = [
        Command(name: "script: reads and an http error", arguments: ["-e", reads], shows: "error field\tstatus\t404"),
        Command(name: "script: the token is nowhere in the Lua state", arguments: ["-e", walker], shows: "token in the Lua state: no"),
        Command(name: "sandbox: reads", arguments: ["--sandbox", "-e", reads], shows: "error field\tkind\thttp"),
        Command(name: "--trace", arguments: ["--trace", "--write", "allow", "-e", reads + "\nprint(replicate.run('sim/echo', {text = 'traced'}).text)"],
                shows: "kosmo-lua: trace: replicate.get_account read allowed → 200"),
        Command(name: "writes, runs, map, stream", arguments: ["--write", "allow", "--allow", "run,stream", "-e", """
            local p = replicate.create_prediction{version = "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa", input = {text = "hi"}, wait = true}
            print(require("pretty").format(p))
            print(json.encode(replicate.map({"a", "b"}, function(x) return replicate.run("sim/echo", {text = x}) end)))
            for ev in replicate.stream("meta/meta-llama-3-8b-instruct", {prompt = "hi"}) do io.write(tostring(ev)) end
            print()
            """], shows: "status = \"succeeded\""),
        Command(name: "uncaught http error with a traceback", arguments: ["-e", "replicate.get_model('no/such')"], status: 1,
                shows: "http error in replicate.get_model: HTTP 404"),
        Command(name: "401 from a simulator that wants another token", arguments: ["-e", """
            local ok, e = pcall(replicate.get_account)
            for k, v in pairs(e) do print("error field", k, v) end
            print(tostring(e))
            replicate.get_model("replicate/hello-world")
            """], target: .rejectingSimulator, status: 1, shows: "HTTP 401"),
        Command(name: "network error: nothing listening", arguments: ["-e", "local ok, e = pcall(replicate.get_account) for k, v in pairs(e) do print(k, v) end replicate.get_account()"],
                target: .nowhere, status: 1, shows: "network error in replicate.get_account"),
        Command(name: "a limit error", arguments: ["--timeout", "1", "-e", "replicate.get_account() while true do end"], status: 1, shows: "time limit exceeded"),
        Command(name: "help", arguments: ["-e", "replicate.help() replicate.help('get_account')"], shows: "get_account"),
        Command(name: "--sim with a token set", arguments: ["--sim", "--allow", "run", "-e", "print(replicate.run('sim/echo', {text = 'local'}).text)"],
                target: .none, shows: "local"),
        Command(name: "script on stdin", arguments: [], stdin: reads, shows: "error field\tstatus\t404"),
        Command(name: "version and usage", arguments: ["-v"], target: .none, shows: "kosmo-lua"),
    ]

    /// Agent mode's commands, each with `shows` set to what proves it ran: `exec --json` with the
    /// reads script, an MCP session's handshake, and `doctor` with each token source.
    static let agentModeCommands: [Command] = [
        Command(name: "exec (agent mode)", arguments: ["exec", "--json", "--trace", "-"], stdin: reads, shows: "\"calls\":[{"),
        Command(name: "mcp (agent mode): initialize, then end of input", arguments: ["mcp"],
                stdin: #"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-03-26","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"# + "\n",
                shows: "\"serverInfo\""),
        Command(name: "doctor (agent mode)", arguments: ["doctor"], shows: "base URL: "),
    ]

    /// The environment and files for one source of the token.
    struct Setup {
        let home: String
        let environment: [String: String]
        let configPath: String
    }

    static func setup(_ source: Source, configMode: Int = 0o600) throws -> Setup {
        let home = try temporaryDirectory()
        let configPath = home + "/config.toml"
        var environment = ["HOME": home, "KOSMO_LUA_CONFIG": configPath, "REPLICATE_API_KEY": "", "NO_COLOR": "1"]
        switch source {
        case .environment:
            environment["REPLICATE_API_TOKEN"] = token
            try write("[permissions]\nread = \"allow\"\n", to: configPath)
        case .configFile:
            environment["REPLICATE_API_TOKEN"] = ""
            try write("[replicate]\napi_token = \"\(token)\"\n", to: configPath)
        }
        chmod(configPath, mode_t(configMode))
        return Setup(home: home, environment: environment, configPath: configPath)
    }

    func expectClean(_ text: String, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!text.contains(Self.token), "the token leaked into \(what):\n\(text)", sourceLocation: sourceLocation)
        // Not even a good part of it (a redaction that keeps a prefix, or a token cut in two).
        #expect(!text.contains(String(Self.token.dropFirst(3).prefix(16))), "part of the token leaked into \(what)", sourceLocation: sourceLocation)
    }

    func runAll(_ commands: [Command], source: Source) async throws {
        let setup = try Self.setup(source)
        let open = try await SimProcess.start()
        let rejecting = try await SimProcess.start(["--token", "other"])
        defer {
            open.stop()
            rejecting.stop()
        }
        for command in commands {
            var environment = setup.environment
            switch command.target {
            case .simulator: environment["REPLICATE_URL"] = open.baseURL
            case .rejectingSimulator: environment["REPLICATE_URL"] = rejecting.baseURL
            case .nowhere: environment["REPLICATE_URL"] = "http://127.0.0.1:9/v1"
            case .none: environment["REPLICATE_URL"] = ""
            }
            let result = try await kosmo(command.arguments, stdin: command.stdin, environment: environment, directory: setup.home, timeout: 60)
            let label = "\(command.name) [\(source.rawValue)]"
            #expect(result.status == command.status, "\(label): exit \(result.status)\n\(result.stderr)")
            #expect((result.stdout + result.stderr).contains(command.shows), "\(label) did not show \(command.shows.debugDescription):\n\(result.stdout)\n\(result.stderr)")
            expectClean(result.stdout, "stdout of \(label)")
            expectClean(result.stderr, "stderr of \(label)")
        }
        // The simulators saw the token on every request; they keep it out of their log and output.
        let log = try await open.fetch("/_sim/requests")
        #expect(log.contains("\"authenticated\":true") || log.contains("\"authenticated\" : true"), "the request log is empty? \(log.prefix(300))")
        expectClean(log, "the simulator's request log")
        expectClean(try await rejecting.fetch("/_sim/requests"), "the rejecting simulator's request log")
        expectClean(open.stop(), "the simulator's output")
        expectClean(rejecting.stop(), "the rejecting simulator's output")
    }

    @Test("Every command, with the token from the environment and from a config file", arguments: [Source.environment, Source.configFile])
    func everyCommand(_ source: Source) async throws {
        try await runAll(Self.commands + Self.agentModeCommands, source: source)
    }

    @Test("A config file others can read: the warning names the file, not the token")
    func worldReadableConfig() async throws {
        let setup = try Self.setup(.configFile, configMode: 0o644)
        let sim = try await SimProcess.start()
        defer { sim.stop() }
        var environment = setup.environment
        environment["REPLICATE_URL"] = sim.baseURL
        let result = try await kosmo(["-e", "print(replicate.get_account().username)"], environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("chmod 600"), "\(result.stderr)")
        expectClean(result.stdout + result.stderr, "the world-readable warning")
    }

    @Test("A config file with a misspelt key: the error names the key, not the value")
    func misspeltConfig() async throws {
        let setup = try Self.setup(.configFile)
        try write("[replicate]\napi_tokn = \"\(Self.token)\"\n", to: setup.configPath)
        // Settings are read when the script first calls the API: plain Lua still runs.
        let plain = try await kosmo(["-e", "print(1)"], environment: setup.environment)
        #expect(plain.status == 0 && plain.stdout == "1\n", "\(plain.stderr)")
        let result = try await kosmo(["-e", "print(replicate.get_account())"], environment: setup.environment)
        #expect(result.status == 1)
        #expect(result.stderr.contains("api_tokn"), "\(result.stderr)")
        #expect(result.stderr.contains("validation error in replicate.get_account: the replicate settings are invalid"), "\(result.stderr)")
        expectClean(result.stdout + result.stderr, "the config error")
        // With a replicate flag the settings are read at start-up, before any Lua runs.
        let flagged = try await kosmo(["--read", "allow", "-e", "print(1)"], environment: setup.environment)
        #expect(flagged.status == 1 && flagged.stdout.isEmpty && flagged.stderr.contains("api_tokn"), "\(flagged.stderr)")
        // A config file that is not TOML at all, with the token on the broken line.
        try write("[replicate\napi_token = \"\(Self.token)\n", to: setup.configPath)
        let broken = try await kosmo(["-e", "print(replicate.get_account())"], environment: setup.environment)
        #expect(broken.status == 1)
        expectClean(broken.stdout + broken.stderr, "the config parse error")
    }

    @Test("The REPL on a terminal, token from each source", arguments: [Source.environment, Source.configFile])
    func repl(_ source: Source) async throws {
        let setup = try Self.setup(source)
        let sim = try await SimProcess.start()
        defer { sim.stop() }
        var environment = setup.environment
        environment["REPLICATE_URL"] = sim.baseURL
        let exports = environment.sorted { $0.key < $1.key }.map { "\($0.key)='\($0.value)'" }.joined(separator: " ")
        let s = try await REPLTests.Session(home: setup.home, command: "env \(exports) \(Binaries.kosmo)")
        do {
            try await typeAndCheck(s, setup: setup, source: source)
        } catch {
            await s.close()
            throw error
        }
        // End the REPL with Ctrl-D before closing tmux: a REPL that is sent SIGHUP by
        // `tmux kill-server` keeps running (a tmux behaviour, not kosmo-lua's).
        try await s.press("C-d")
        for _ in 0..<50 where await s.isRunning { try await Task.sleep(nanoseconds: 100_000_000) }
        await s.close()
    }

    func typeAndCheck(_ s: REPLTests.Session, setup: Setup, source: Source) async throws {
        try await s.line("replicate.get_account()")
        try await s.waitFor("username")
        try await s.line("replicate.get_model('no/such')")
        try await s.waitFor("HTTP 404")
        try await s.line("e = select(2, pcall(replicate.get_model, 'no/such'))")
        try await s.line("e")
        try await s.waitFor("status = 404")
        try await s.line("replicate")
        try await s.line("replicate.help('get_account')")
        try await s.line("error('boom')")
        try await s.waitFor("boom")
        // The whole scrollback, not only what is on screen.
        let screen = try await s.tmux(["capture-pane", "-p", "-S", "-2000", "-t", "0"]).stdout
        #expect(screen.contains("get_account"))
        expectClean(screen, "the REPL's screen [\(source.rawValue)]")
        let history = (try? String(contentsOfFile: setup.home + "/.kosmo_lua_history", encoding: .utf8)) ?? ""
        expectClean(history, "the REPL history")
    }
}
