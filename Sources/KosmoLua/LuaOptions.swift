import Foundation
import KosmoCommandLine
import KosmoJournal
import LuaHost
import ReplicateLua

/// The command line of `kosmo-lua` in its `lua` role: `lua5.4`'s options in `lua5.4`'s order,
/// plus kosmo-lua's long options (which must come before the script).
struct LuaOptions {
    enum Action { case execute(String), require(global: String, module: String), warnings }

    var actions: [Action] = []
    var interactive = false
    var showVersion = false
    var ignoreEnvironment = false
    var hasExecute = false
    /// Index in `arguments` of the script (nil: none); `"-"` means standard input.
    var scriptIndex: Int?
    var scriptIsStdin = false
    var arguments: [String] = []

    var sandbox = false
    var memoryMB: Double?
    var timeoutSeconds: Double?
    var instructions: UInt64?
    var showHelp = false
    /// `--log FILE`: the run log (`RunLogWriter`).
    var logPath: String?
    /// `--read`, `--write`, `--allow`, `--sim`, …: the `replicate` table's settings.
    var replicateFlags = ReplicateFlags()

    struct UsageError: Error { let message: String }

    /// Parses `arguments` (argv, with argv[0] first).
    static func parse(_ arguments: [String]) throws(UsageError) -> LuaOptions {
        var options = LuaOptions()
        options.arguments = arguments
        var i = 1
        while i < arguments.count {
            let argument = arguments[i]
            guard argument.hasPrefix("-") else { options.scriptIndex = i; break }
            if argument == "-" { options.scriptIndex = i; options.scriptIsStdin = true; break }
            if argument == "--" {
                if i + 1 < arguments.count { options.scriptIndex = i + 1 }
                break
            }
            if argument.hasPrefix("--") {
                try options.parseLong(argument, arguments, &i)
                i += 1
                continue
            }
            let flag = argument.dropFirst().first ?? " "
            let rest = String(argument.dropFirst(2))
            switch flag {
            case "E", "W", "i", "v":
                guard rest.isEmpty else { throw UsageError(message: "unrecognized option '\(argument)'") }
                if flag == "E" { options.ignoreEnvironment = true }
                if flag == "W" { options.actions.append(.warnings) }
                if flag == "i" { options.interactive = true; options.showVersion = true }
                if flag == "v" { options.showVersion = true }
            case "e", "l":
                var value = rest
                if value.isEmpty {
                    i += 1
                    guard i < arguments.count, !arguments[i].hasPrefix("-") else {
                        throw UsageError(message: "'-\(flag)' needs argument")
                    }
                    value = arguments[i]
                }
                if flag == "e" {
                    options.hasExecute = true
                    options.actions.append(.execute(value))
                } else if let equals = value.firstIndex(of: "=") {
                    options.actions.append(.require(global: String(value[..<equals]), module: String(value[value.index(after: equals)...])))
                } else {
                    options.actions.append(.require(global: value, module: value))
                }
            default:
                throw UsageError(message: "unrecognized option '\(argument)'")
            }
            i += 1
        }
        return options
    }

    private mutating func parseLong(_ argument: String, _ arguments: [String], _ i: inout Int) throws(UsageError) {
        let option = LongOption(argument)
        let name = option.name
        func value() throws(UsageError) -> String { try option.value(arguments, &i, orThrow: { UsageError(message: $0) }) }
        func bounded(_ bound: BoundedNumber) throws(UsageError) -> Double {
            try option.number(bound, arguments, &i, orThrow: { UsageError(message: $0) })
        }
        switch name {
        case "sandbox": sandbox = true
        case "memory": memoryMB = try bounded(.memoryMB)
        case "timeout": timeoutSeconds = try bounded(.timeoutSeconds)
        // Exact: the range keeps whole values below 2^53.
        case "instructions": instructions = try UInt64(bounded(.instructions))
        case "help": showHelp = true
        case "log": logPath = try value()
        case "version": showVersion = true
        default:
            guard let takesValue = ReplicateFlags.takesValue(name) else {
                throw UsageError(message: "unrecognized option '\(argument)'")
            }
            replicateFlags.add(name, value: takesValue ? try value() : nil)
        }
    }

    /// Limits from the options: the sandbox starts from its defaults; flags override.
    var limits: Limits {
        var limits = sandbox ? Limits.sandboxDefaults : Limits.none
        // In range by parsing (at most 2^40 bytes), so the conversion is exact.
        if let memoryMB { limits.memoryBytes = Int(memoryMB * 1_048_576) }
        if let timeoutSeconds { limits.timeoutSeconds = timeoutSeconds }
        if let instructions { limits.instructions = instructions }
        return limits
    }

    static let usage = """
        usage: kosmo-lua [options] [script [args]]
        Available options are:
          -e stat   execute string 'stat'
          -i        enter interactive mode after executing 'script'
          -l mod    require library 'mod' into global 'mod'
          -l g=mod  require library 'mod' into global 'g'
          -v        show version information
          -E        ignore environment variables
          -W        turn warnings on
          --        stop handling options
          -         stop handling options and execute stdin
        kosmo-lua options (before the script):
          --sandbox             run in the sandbox profile (an allow-list; 64 MiB, 30 s, 64 KiB output)
          --memory MB           memory limit in MiB (1 to 1048576)
          --timeout SECONDS     wall-clock limit (0.001 to 86400)
          --instructions N      VM instruction limit (1 to 1e15)
          --log FILE            write the run's calls, waits and predictions to FILE (JSON lines)
                                and keep its output files in FILE's .files folder
          --version             show version information, with the commit it was built from
          --help                show this help
        replicate options (before the script):
        """ + "\n" + ReplicateFlags.usage + "\n" + """
        Subcommands (each takes --help):
          kosmo-lua exec [--json] [options] [FILE | -]   run code in the sandbox, for agents (a JSON envelope)
          kosmo-lua mcp [options]                        an MCP server over stdio (execute_lua and discovery tools)
          kosmo-lua docs [NAME] [--json]                 the replicate functions: parameters, access, examples
          kosmo-lua docs owner/name [--json|--stubs]     a model's inputs and output (--sim: the simulator's)
          kosmo-lua schema NAME                          JSON Schema of a function's argument table
          kosmo-lua search QUERY                         find functions by what they do
          kosmo-lua doctor [--json]                      check the token, the API, the policy and the limits
          kosmo-lua sim [options]                        a local Replicate API simulator
          kosmo-lua report SOURCE [-o FILE]              an HTML page of a run (a --save folder or a --log file)
          kosmo-lua journal FILE [--json]                a --journal file: counts by state, still running, failed
        More: README.md; agent mode in docs/agent-mode.md; the design in docs/architecture.md.
        """
}

extension LuaOptions {
    /// The script a journal (`--journal`) belongs to: the script file; else the `-e` chunks;
    /// standard input and the REPL by name only (their text is not known up front).
    var scriptSource: ScriptSource {
        if let scriptIndex, !scriptIsStdin, arguments.indices.contains(scriptIndex), arguments[scriptIndex] != "-" {
            return .file(arguments[scriptIndex])
        }
        if scriptIndex != nil { return .text(name: "stdin", text: "") }
        let chunks = actions.compactMap { action -> String? in
            if case .execute(let code) = action { return code }
            return nil
        }
        return chunks.isEmpty ? .text(name: "(interactive)", text: "") : .text(name: "(command line)", text: chunks.joined(separator: "\n"))
    }
}
