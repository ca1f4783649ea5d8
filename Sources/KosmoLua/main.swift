import Foundation

// `kosmo-lua` is `lua5.4` plus subcommands. A first argument naming a subcommand runs it with
// its options after its name; a script that has such a name runs as `./name`.
let arguments = CommandLine.arguments
/// Each subcommand's entry point, given the arguments after its name.
let subcommands: [String: ([String]) -> Int32] = [
    "sim": { Subcommands.run(SimCommand.self, $0) },
    "exec": ExecCommand.main,
    "mcp": MCPLauncher.main,
    "doctor": DoctorCommand.main,
    "docs": { Subcommands.run(DocsCommand.self, $0) },
    "schema": { Subcommands.run(SchemaCommand.self, $0) },
    "search": { Subcommands.run(SearchCommand.self, $0) },
    "report": { Subcommands.run(ReportCommand.self, $0) },
    "journal": { Subcommands.run(JournalCommand.self, $0) },
    "--generate-manual": CommandLineDocs.manualMain,
    "--generate-completion-script": CommandLineDocs.completionMain,
]
FileDescriptorLimit.raise()
let status: Int32
if let name = arguments.dropFirst().first, let command = subcommands[name] {
    status = command(Array(arguments.dropFirst(2)))
} else {
    status = LuaRunner.main(arguments)
}
fflush(nil)
exit(status)
