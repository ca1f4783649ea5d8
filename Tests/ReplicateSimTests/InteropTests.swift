import Foundation
import Testing
@testable import ReplicateSim

/// The official Python client (replicate==1.0.7) against an in-process simulator.
@Suite("python client interop")
struct InteropTests {
    @Test(.timeLimit(.minutes(3)))
    func officialPythonClient() async throws {
        let script = try #require(fixtureURL("Interop/interop.py"), "Interop/interop.py missing from test resources")
        let check = try await run("/usr/bin/env", ["python3", "-c", "import replicate; print(replicate.__version__ if hasattr(replicate, '__version__') else 'ok')"], env: [:])
        #expect(check.status == 0, "python3 with the `replicate` package (1.0.7) is required: run `make test` (it installs it), or `pip install replicate==1.0.7`. \(check.output)")
        guard check.status == 0 else { return }

        try await withSim({ $0.pageSize = 3; $0.token = testToken; $0.speed = 20 }) { (sim) async throws in
            let result = try await run("/usr/bin/env", ["python3", script.path], env: [
                "REPLICATE_BASE_URL": sim.root, "REPLICATE_API_TOKEN": testToken, "SIM_STRICT_TOKEN": "1",
                "REPLICATE_POLL_INTERVAL": "0.05",
            ])
            #expect(result.status == 0, "interop.py failed:\n\(result.output)")
            #expect(result.output.contains("interop: ok"), "\(result.output)")
            #expect(sim.requests().contains { $0.path == "/v1/files" && $0.method == "POST" && $0.status == 201 })
        }
    }

    /// Runs the child on its own thread: blocking reads must not starve the cooperative pool
    /// that the in-process simulator's handlers run on.
    func run(_ exe: String, _ args: [String], env: [String: String]) async throws -> (status: Int32, output: String) {
        try await withCheckedThrowingContinuation { c in
            Thread {
                c.resume(with: Result { try Self.runBlocking(exe, args, env: env) })
            }.start()
        }
    }

    static func runBlocking(_ exe: String, _ args: [String], env: [String: String]) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        var e = ProcessInfo.processInfo.environment
        for (k, v) in env { e[k] = v }
        p.environment = e
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        // Read before waiting so a chatty child cannot block on a full pipe.
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
