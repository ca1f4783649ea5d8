import ArgumentParser

/// Placeholder until the simulator lands from its branch.
struct SimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sim", abstract: "Serve a local simulator of Replicate's HTTP API.")
    func run() async throws {
        throw ValidationError("the simulator is not in this build yet")
    }
}
