import Foundation
import Testing

/// Every example the documentation shows — `kosmo-lua docs NAME` (the same text `replicate.help`
/// prints and the MCP server's `describe_function` returns) and `kosmo-lua docs owner/name` for
/// each of the simulator's models — run as an agent would paste it: `exec --json` in the
/// sandbox, under `--sim`, on a fresh simulator. An example that names a placeholder, uses what
/// the sandbox refuses or misses a required argument fails here.
@Suite struct DocsExamplesTests {
    /// A directory with the file the examples name (`photo.png`), granted for reading and writing.
    static func workspace() throws -> String {
        let directory = try temporaryDirectory()
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        png += [UInt8](repeating: 0x30, count: 2000)
        try Data(png).write(to: URL(fileURLWithPath: directory + "/photo.png"))
        return directory
    }

    static func json(_ text: String) -> Any? { try? JSONSerialization.jsonObject(with: Data(text.utf8)) }

    /// Runs one example; returns a failure to report, or nil. A function the sandbox does not
    /// offer (its summary says so) runs as a person's script does, `kosmo-lua --sim -`, twice:
    /// the second run is the rerun its example speaks of.
    static func run(_ example: String, named name: String, in directory: String, sandboxed: Bool = true) async throws -> String? {
        if !sandboxed {
            for round in 1...2 {
                let result = try await kosmo(["--sim", "--write", "allow", "-"], stdin: example, directory: directory, timeout: 60)
                if result.status != 0 { return "\(name) (run \(round)): status \(result.status): \(result.stderr)\n\(example)" }
            }
            return nil
        }
        let result = try await kosmo(["exec", "--json", "--sim", "--allow-read", ".", "--allow-write", ".", "-"],
                                     stdin: example, directory: directory, timeout: 60)
        guard let envelope = json(result.stdout) as? [String: Any] else { return "\(name): no envelope: \(result.stdout) \(result.stderr)" }
        guard envelope["ok"] as? Bool == true else {
            let error = envelope["error"] as? [String: Any]
            return "\(name): \(error?["kind"] ?? "?"): \(error?["message"] ?? "?")\n\(example)"
        }
        return nil
    }

    @Test("Every function's example runs in the sandbox under --sim, and help shows it whole")
    func functionExamplesRun() async throws {
        let listing = try await kosmo(["docs", "--json"])
        let functions = try #require(Self.json(listing.stdout) as? [[String: Any]])
        #expect(functions.count >= 37 + 13, "\(functions.count) functions")
        let directory = try Self.workspace()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var failures: [String] = []
        for function in functions {
            let name = try #require(function["name"] as? String)
            let example = try #require(function["example"] as? String)
            let help = function["help"] as? String ?? ""
            // help (what replicate.help prints) carries the example, every line of it.
            let shown = example.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n")
            if !help.hasSuffix("Example:\n" + shown) { failures.append("\(name): help does not end with its example:\n\(help)") }
            // Each says what it returns, and no description sends the reader to a web page.
            let returns = function["returns"] as? String ?? ""
            if returns.isEmpty || !help.contains("Returns: " + returns) { failures.append("\(name): help does not say what it returns:\n\(help)") }
            if help.range(of: #"\bclick\b|\]\(#"#, options: .regularExpression) != nil { failures.append("\(name): help sends the reader to a web page:\n\(help)") }
            let sandboxed = !(function["summary"] as? String ?? "").contains("Not in the sandbox")
            if let failure = try await Self.run(example, named: name, in: directory, sandboxed: sandboxed) { failures.append(failure) }
        }
        #expect(failures.isEmpty, "\(failures.count) examples fail:\n\(failures.joined(separator: "\n\n"))")
    }

    @Test("The example `docs owner/name` gives for each of the simulator's models runs as written")
    func modelExamplesRun() async throws {
        let directory = try Self.workspace()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var failures: [String] = []
        for model in ["replicate/hello-world", "black-forest-labs/flux-schnell", "meta/meta-llama-3-8b-instruct",
                      "stability-ai/sdxl", "sim/echo", "sim/slow", "sim/trainable"] {
            let described = try await kosmo(["docs", "--sim", model, "--json"])
            let object = try #require(Self.json(described.stdout) as? [String: Any], "\(model): \(described.stdout) \(described.stderr)")
            let example = try #require(object["example"] as? String, "\(model) has no example")
            #expect(example.contains("replicate.run(\"\(model)\""), "\(model): \(example)")
            if let failure = try await Self.run(example, named: model, in: directory) { failures.append(failure) }
        }
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n\n"))")
    }
}
