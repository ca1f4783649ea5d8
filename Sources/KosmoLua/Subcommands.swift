import ArgumentParser
import Foundation

/// Subcommands run through swift-argument-parser, each with its options after its name.
enum Subcommands {
    /// Names reserved for commands that later work adds (see the issues).
    static let planned: Set<String> = ["exec", "mcp", "docs", "schema", "search", "doctor"]

    static func run<Command: AsyncParsableCommand>(_ command: Command.Type, _ arguments: [String]) -> Int32 {
        let semaphore = DispatchSemaphore(value: 0)
        let box = StatusBox()
        Task.detached {
            do {
                var parsed = try command.parseAsRoot(arguments)
                if var asyncCommand = parsed as? any AsyncParsableCommand {
                    try await asyncCommand.run()
                } else {
                    try parsed.run()
                }
                box.status = 0
            } catch {
                let code = command.exitCode(for: error).rawValue
                if code != 0 { StandardError.write(command.fullMessage(for: error) + "\n") } else { print(command.fullMessage(for: error)) }
                box.status = code
            }
            semaphore.signal()
        }
        semaphore.wait()
        return box.status
    }
}

final class StatusBox: @unchecked Sendable {
    var status: Int32 = 0
}
