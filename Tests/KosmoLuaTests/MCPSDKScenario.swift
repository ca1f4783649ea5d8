import Foundation
import Testing

/// Runs scenario `name` of the client script `script` in MCPClient/ (the official MCP Python SDK
/// driving `kosmo-lua mcp`, as an agent's host does) and returns what it printed as JSON. A
/// missing SDK fails with the command that installs it; a scenario that could not run fails
/// with what it printed.
func sdkScenario(_ script: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> [String: Any] {
    let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("MCPClient/" + script).path
    let python = ProcessInfo.processInfo.environment["PYTHON"] ?? "/usr/bin/env"
    let arguments = (python == "/usr/bin/env" ? ["python3"] : []) + [path, Binaries.kosmo, name]
    let run = try await runProcess(python, arguments, timeout: 120)
    if run.status == 3 {
        Issue.record("the MCP Python SDK is missing: run `make deps` or `python3 -m pip install 'mcp>=2'` (\(run.stdout))", sourceLocation: sourceLocation)
    }
    guard let data = run.stdout.split(separator: "\n").last.map({ Data($0.utf8) }),
          let found = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
        Issue.record("scenario \(name) printed no findings (status \(run.status)): \(run.stdout.suffix(2000)) \(run.stderr.suffix(2000))",
                     sourceLocation: sourceLocation)
        return [:]
    }
    #expect(run.status == 0 && found["error"] == nil, "scenario \(name): \(found["error"] ?? "") \(run.stderr.suffix(2000))",
            sourceLocation: sourceLocation)
    return found
}
