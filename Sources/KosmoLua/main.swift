import Foundation

// `kosmo-lua` is `lua5.4` plus subcommands. A first argument naming a subcommand runs it with
// its options after its name; a script that has such a name runs as `./name`.
let arguments = CommandLine.arguments
let status: Int32
let commandArguments = Array(arguments.dropFirst(2))
switch arguments.dropFirst().first {
case "sim":
    status = Subcommands.run(SimCommand.self, commandArguments)
case "exec":
    status = ExecCommand.main(commandArguments)
case "mcp":
    status = MCPLauncher.main(commandArguments)
case "doctor":
    status = DoctorCommand.main(commandArguments)
case "docs":
    status = Subcommands.run(DocsCommand.self, commandArguments)
case "schema":
    status = Subcommands.run(SchemaCommand.self, commandArguments)
case "search":
    status = Subcommands.run(SearchCommand.self, commandArguments)
case "report":
    status = Subcommands.run(ReportCommand.self, commandArguments)
case "--generate-manual":
    status = CommandLineDocs.manualMain(commandArguments)
case "--generate-completion-script":
    status = CommandLineDocs.completionMain(commandArguments)
default:
    status = LuaRunner.main(arguments)
}
fflush(nil)
exit(status)
