import Foundation
import KosmoCommandLine
import LuaHost
import ReplicateLua

/// The command line of `kosmo-lua exec`, `kosmo-lua mcp` and `kosmo-lua doctor`: the
/// `replicate` permission flags (as the CLI has them), the sandbox's limits, and each command's
/// own options. Options come before the script; what follows the script is the script's `...`.
public struct AgentOptions: Sendable {
    /// Which command is being parsed (each accepts its own subset of options).
    public enum Command: String, Sendable {
        case exec, mcp, doctor
    }

    public var command: Command
    /// `--json`: one JSON document on standard output (exec: the envelope; doctor: the report).
    public var json = false
    public var replicateFlags = ReplicateFlags()
    public var memoryMB: Double?
    public var timeoutSeconds: Double?
    public var instructions: UInt64?
    public var outputLimitBytes: Int?
    /// `--result-limit`: bytes of JSON the envelope's `result` may take.
    public var resultLimitBytes: Int?
    /// exec: the script (`-` is standard input); nil means standard input too.
    public var file: String?
    /// exec: the arguments after the script, the chunk's `...`.
    public var scriptArguments: [String] = []
    /// mcp: `--expose functions` adds a tool per catalog function.
    public var exposeFunctions = false
    public var showHelp = false
    /// exec (set by `mcp` for its children): an already running simulator to use, so one MCP
    /// session shares one simulator's state across executions.
    public var simulatorURL: URL?
    /// exec (set by `mcp` for its children): a socket on which `ask` reaches the MCP server.
    public var approvalFD: Int32?
    /// exec (set by `mcp` for its children): a socket on which waiting calls' progress reaches
    /// the MCP server (`ProgressChannel`).
    public var progressFD: Int32?
    /// exec (set by `mcp` for a session's child): `--serve ID` keeps one VM and runs snippet
    /// after snippet read from standard input (`SessionFrame`), one envelope each, for the
    /// session ID.
    public var serveSession: String?
    /// mcp: `--session-idle SECONDS`, how long a session may go unused before it is ended.
    public var sessionIdleSeconds: Double = 600
    /// mcp: `--max-sessions N`, how many sessions may be open at once.
    public var maxSessions = 8

    public init(command: Command) { self.command = command }

    /// A bad option; the message says which and what would be right.
    public struct UsageError: Error, Sendable, CustomStringConvertible {
        public let message: String
        public init(_ message: String) { self.message = message }
        public var description: String { message }
    }

    /// Parses the arguments after the command's name.
    public static func parse(_ arguments: [String], command: Command) throws(UsageError) -> AgentOptions {
        var options = AgentOptions(command: command)
        var i = 0
        while i < arguments.count {
            let argument = arguments[i]
            if command == .exec, argument == "-" || !argument.hasPrefix("-") {
                options.file = argument
                options.scriptArguments = Array(arguments[(i + 1)...])
                return options
            }
            if argument == "--" {
                guard command == .exec else { throw UsageError("'--' is only for exec (before a script whose name starts with '-')") }
                if i + 1 < arguments.count {
                    options.file = arguments[i + 1]
                    options.scriptArguments = Array(arguments[(i + 2)...])
                }
                return options
            }
            guard argument.hasPrefix("--") else {
                throw UsageError("unrecognized option '\(argument)' for '\(command.rawValue)'")
            }
            try options.parseLong(argument, arguments, &i)
            i += 1
        }
        return options
    }

    /// Whether `--json` is among the options (before the script), for reporting a command line
    /// that does not parse in the form the caller asked for.
    public static func mentionsJSON(_ arguments: [String]) -> Bool {
        let valued = ReplicateFlags.valued.union(["memory", "timeout", "instructions", "output-limit", "result-limit", "expose", "sim-url", "approval-fd", "progress-fd", "serve", "session-idle", "max-sessions"])
        var i = 0
        while i < arguments.count {
            let argument = arguments[i]
            guard argument.hasPrefix("--"), argument != "--" else { return false }
            let name = String(argument.dropFirst(2))
            if name == "json" { return true }
            if valued.contains(name) { i += 1 }
            i += 1
        }
        return false
    }

    private mutating func parseLong(_ argument: String, _ arguments: [String], _ i: inout Int) throws(UsageError) {
        let option = LongOption(argument)
        let name = option.name
        func value() throws(UsageError) -> String { try option.value(arguments, &i, orThrow: UsageError.init) }
        func bounded(_ bound: BoundedNumber) throws(UsageError) -> Double {
            try option.number(bound, arguments, &i, orThrow: UsageError.init)
        }
        let limitsAllowed = command != .doctor
        switch name {
        case "help": showHelp = true
        case "json" where command != .mcp: json = true
        case "memory" where limitsAllowed: memoryMB = try bounded(.memoryMB)
        case "timeout" where limitsAllowed: timeoutSeconds = try bounded(.timeoutSeconds)
        // Exact: the range keeps whole values below 2^53.
        case "instructions" where limitsAllowed: instructions = try UInt64(bounded(.instructions))
        case "output-limit" where limitsAllowed:
            outputLimitBytes = try Self.byteCount(try value(), flag: "--output-limit")
        case "result-limit" where limitsAllowed:
            resultLimitBytes = try Self.byteCount(try value(), flag: "--result-limit")
        case "expose" where command == .mcp:
            let text = try value()
            guard text == "functions" else {
                throw UsageError("'--expose' takes 'functions' (one MCP tool per replicate function), got '\(text)'")
            }
            exposeFunctions = true
        case "sim-url" where command == .exec:
            let text = try value()
            guard let url = URL(string: text), url.scheme == "http", url.host != nil else {
                throw UsageError("'--sim-url' needs the simulator's base URL (http://127.0.0.1:PORT/v1), got '\(text)'")
            }
            simulatorURL = url
        case "approval-fd" where command == .exec:
            let text = try value()
            guard let fd = Int32(text), fd > 2 else { throw UsageError("'--approval-fd' needs a file descriptor above 2, got '\(text)'") }
            approvalFD = fd
        case "progress-fd" where command == .exec:
            let text = try value()
            guard let fd = Int32(text), fd > 2 else { throw UsageError("'--progress-fd' needs a file descriptor above 2, got '\(text)'") }
            progressFD = fd
        case "serve" where command == .exec:
            let text = try value()
            guard !text.isEmpty, text.utf8.count <= 100 else { throw UsageError("'--serve' needs a session id (1 to 100 bytes)") }
            serveSession = text
        case "session-idle" where command == .mcp:
            sessionIdleSeconds = try bounded(.sessionIdleSeconds)
        // Exact: the range is 1 to 64.
        case "max-sessions" where command == .mcp:
            maxSessions = try Int(bounded(.maxSessions))
        // A journal belongs to one script run again as a whole; an MCP server's executions
        // are each a script of their own, so one journal would refuse all but the first.
        case "journal" where command == .mcp, "journal-reset" where command == .mcp:
            throw UsageError("'--\(name)' is not for 'mcp': a journal belongs to one script run again whole (kosmo-lua script.lua, or exec), and each execution of the server is a script of its own")
        default:
            guard let takesValue = ReplicateFlags.takesValue(name) else {
                throw UsageError("unrecognized option '\(argument)' for '\(command.rawValue)'; see kosmo-lua \(command.rawValue) --help")
            }
            replicateFlags.add(name, value: takesValue ? try value() : nil)
        }
    }

    /// `65536`, `64K`, `64KiB`, `1M` → bytes, within `BoundedNumber.outputBytes`.
    static func byteCount(_ text: String, flag: String) throws(UsageError) -> Int {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let units: [(String, Int)] = [("KiB", 1 << 10), ("MiB", 1 << 20), ("KB", 1 << 10), ("MB", 1 << 20), ("K", 1 << 10), ("M", 1 << 20), ("B", 1), ("", 1)]
        let bound = BoundedNumber.outputBytes
        for (suffix, scale) in units where trimmed.hasSuffix(suffix) {
            let digits = trimmed.dropLast(suffix.count)
            guard let n = Int(digits), n <= Int.max / scale else { continue }
            do { return try bound.integer(Double(n * scale), name: flag, shown: "'\(text)'") } catch { throw UsageError(error.message) }
        }
        throw UsageError("'\(flag)' needs a positive number of bytes (such as 65536 or 64K), got '\(text)' (\(bound.rangeText))")
    }

    /// The sandbox's limits with the flags applied (64 MiB, 30 s, 64 KiB of output).
    public var limits: Limits {
        var limits = Limits.sandboxDefaults
        // In range by parsing (at most 2^40 bytes), so the conversion is exact.
        if let memoryMB { limits.memoryBytes = Int(memoryMB * 1_048_576) }
        if let timeoutSeconds { limits.timeoutSeconds = timeoutSeconds }
        if let instructions { limits.instructions = instructions }
        if let outputLimitBytes { limits.outputBytes = outputLimitBytes }
        if let resultLimitBytes { limits.resultBytes = resultLimitBytes }
        return limits
    }

    /// The flags that set limits, as a child `exec` takes them.
    public static func limitArguments(_ limits: Limits) -> [String] {
        var arguments: [String] = []
        if let memory = limits.memoryBytes { arguments += ["--memory", String(Double(memory) / 1_048_576)] }
        if let timeout = limits.timeoutSeconds { arguments += ["--timeout", String(timeout)] }
        if let instructions = limits.instructions { arguments += ["--instructions", String(instructions)] }
        if let output = limits.outputBytes { arguments += ["--output-limit", String(output)] }
        if let result = limits.resultBytes { arguments += ["--result-limit", String(result)] }
        return arguments
    }

    /// The `replicate` flags as they were given, for passing on to a child `exec`. `--sim` is
    /// left out: the children use the server's simulator through `--sim-url`.
    public var replicateArgumentsForChildren: [String] {
        replicateFlags.entries.filter { $0.name != "sim" }.flatMap { entry in
            ["--" + entry.name] + (entry.value.map { [$0] } ?? [])
        }
    }

    /// Whether `--sim` was given.
    public var simulate: Bool { replicateFlags.entries.contains { $0.name == "sim" } }

    /// Against the simulator there is nothing to spend and nothing real to change, so `exec`
    /// and `mcp` allow writes there unless a flag, the environment or the config file set the
    /// write policy (then that setting stands, `ask` included).
    public static func applySimulatorDefaults(to settings: inout ReplicateSettings) {
        guard settings.policy.write.source == "default" else { return }
        settings.policy.write = PolicySetting(.allow, source: "--sim: the simulator has nothing to spend or change")
    }

    static let limitUsage = """
          --memory MB           memory limit (default 64; 1 to 1048576)
          --timeout SECONDS     wall-clock limit (default 30; 0.001 to 86400)
          --instructions N      VM instruction limit (default none; 1 to 1e15)
          --output-limit BYTES  printed output kept, its head and its tail (default 64K; 1 to 16M)
          --result-limit BYTES  JSON of the result kept, cut to whole members (default 64K; 1 to 16M)
        """

    /// `kosmo-lua exec --help`.
    public static let execUsage = """
        usage: kosmo-lua exec [options] [FILE | -] [args]
        Runs Lua code in the sandbox with the replicate table (standard input when FILE is - or
        missing). With --json, prints one JSON envelope, also on failure:
          {ok, result, result_truncated, result_error, output, output_truncated,
           error {kind, message, traceback},
           calls [{function, access, decision, status, ms, prediction_id, error,
                   prediction_status?, model?, predict_time?, hardware?, in_flight?, canceled_at_end?}],
           running? [{id, kind, status}], usage? {predictions, trainings, predict_time},
           stats {ms, peak_memory_bytes, instructions}, permission_bypassed}
        A run that does not return cancels the predictions and trainings it left running (unless
        --keep-running); one that returns lists them under running.
        Exit status: 0 success, 1 script error, 2 bad usage.
        Options:
          --json                print the envelope instead of the output
          --help                show this help
        """ + "\n" + limitUsage + "\n" + ReplicateFlags.usage + "\n" + """
        In exec, --max-predictions defaults to 20 unless a flag or the config file sets it.
        With --sim, writes are allowed unless --write, KOSMO_LUA_WRITE or the config file says otherwise.
        """

    /// `kosmo-lua mcp --help`.
    public static let mcpUsage = """
        usage: kosmo-lua mcp [options]
        An MCP server on standard input and output. Tools: execute_lua (Lua in the sandbox, one
        child process per call with a hard deadline, or one per session: session = "new"),
        end_session, search_functions, describe_function, describe_model.
        Options:
          --expose functions    also offer one tool per replicate function (writes only when
                                the write policy allows them)
          --session-idle SECONDS  end a session unused this long (default 600; 1 to 86400)
          --max-sessions N      sessions open at once (default 8; 1 to 64)
          --help                show this help
        Limits for each execution (a call may lower them, never raise them):
        """ + "\n" + limitUsage + "\n" + ReplicateFlags.usage + "\n" + """
        With --sim, one simulator serves the whole session, so its state persists between calls,
        and writes are allowed unless --write, KOSMO_LUA_WRITE or the config file says otherwise.
        Input: one message per line, at most 4 MiB; execute_lua's code at most 1 MiB, a search
        query 1000 bytes, a function name 200. A result envelope over 4 MiB comes back as a limit
        error; error messages and tracebacks are cut at 16 KiB.
        """

    /// `kosmo-lua doctor --help`.
    public static let doctorUsage = """
        usage: kosmo-lua doctor [--json] [options]
        Checks the set-up: where the API token comes from (redacted), the base URL and whether it
        answers (get_account), the permission policy in force, the sandbox's limits, and what to
        run next. Exit status 0 when everything works, 1 otherwise.
        Options:
          --json                print the report as JSON
          --help                show this help
        """ + "\n" + ReplicateFlags.usage
}
