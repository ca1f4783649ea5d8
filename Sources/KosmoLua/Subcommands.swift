import ArgumentParser
import Foundation

/// Subcommands run through swift-argument-parser, each with its options after its name.
enum Subcommands {
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
                // An ExitCode has no message: the command already said why.
                let message = command.fullMessage(for: error)
                if !message.isEmpty, code != 0 { StandardError.write(message + "\n") } else if !message.isEmpty { print(message) }
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
