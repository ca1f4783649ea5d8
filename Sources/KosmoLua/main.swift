import Foundation

// `kosmo-lua` is `lua5.4` plus subcommands. A first argument naming a subcommand runs it with
// its options after its name; a script that has such a name runs as `./name`.
let arguments = CommandLine.arguments
let status: Int32
switch arguments.dropFirst().first {
case "sim":
    status = Subcommands.run(SimCommand.self, Array(arguments.dropFirst(2)))
case let name? where Subcommands.planned.contains(name):
    StandardError.report("the '\(name)' command is not in this build yet; to run a script named \(name), use ./\(name)")
    status = 2
default:
    status = LuaRunner.main(arguments)
}
fflush(nil)
exit(status)
