import AgentMode
import ArgumentParser
import Foundation

/// Every command's help text, the one source of `--help`, the man page
/// (`kosmo-lua --generate-manual`) and the shell completions
/// (`kosmo-lua --generate-completion-script bash|zsh|fish`); `make install` writes both.
enum CommandLineDocs {
    /// One command: its name after `kosmo-lua` (empty for the script runner), a one-line
    /// summary and its `--help` text.
    struct Command: Sendable {
        var name: String
        var summary: String
        var help: HelpText
    }

    /// The subcommands, in the order the root help lists them, each with the text its own
    /// `--help` prints.
    static var subcommandHelp: [(String, String)] {
        [
            ("exec", AgentOptions.execUsage),
            ("mcp", AgentOptions.mcpUsage),
            ("docs", DocsCommand.helpMessage(columns: 100)),
            ("schema", SchemaCommand.helpMessage(columns: 100)),
            ("search", SearchCommand.helpMessage(columns: 100)),
            ("doctor", AgentOptions.doctorUsage),
            ("sim", SimCommand.helpMessage(columns: 100)),
            ("report", ReportCommand.helpMessage(columns: 100)),
            ("journal", JournalCommand.helpMessage(columns: 100)),
        ]
    }

    static var root: HelpText { HelpText(LuaOptions.usage) }

    /// The subcommands with the summaries the root help gives them (`kosmo-lua exec …   run code …`).
    static var commands: [Command] {
        var summaries: [String: String] = [:]
        for case .prose(let lines, _) in root.blocks {
            for line in lines {
                let body = line.trimmingCharacters(in: .whitespaces)
                guard body.hasPrefix("kosmo-lua "), let gap = body.range(of: "   ") else { continue }
                let name = body.dropFirst("kosmo-lua ".count).prefix { $0 != " " }
                summaries[String(name)] = body[gap.upperBound...].trimmingCharacters(in: .whitespaces)
            }
        }
        return subcommandHelp.map { name, text in Command(name: name, summary: summaries[name] ?? "", help: HelpText(text)) }
    }

    static func manualMain(_ arguments: [String]) -> Int32 {
        guard arguments.isEmpty else {
            StandardError.report("--generate-manual takes no arguments (it prints the man page: kosmo-lua --generate-manual > kosmo-lua.1)")
            return 2
        }
        print(ManualPage.roff(root: root, commands: commands, version: Version.kosmo), terminator: "")
        return 0
    }

    static func completionMain(_ arguments: [String]) -> Int32 {
        guard arguments.count == 1, let shell = CompletionScripts.Shell(rawValue: arguments[0]) else {
            StandardError.report("--generate-completion-script needs one shell: bash, zsh or fish (got \(arguments.isEmpty ? "none" : arguments.joined(separator: " ")))")
            return 2
        }
        print(CompletionScripts.script(for: shell, root: root, commands: commands), terminator: "")
        return 0
    }
}
