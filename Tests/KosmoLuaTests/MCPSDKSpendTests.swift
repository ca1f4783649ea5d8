import Foundation
import Testing

/// What a snippet leaves running and what it used, seen through the official MCP Python SDK
/// (PyPI `mcp`, which `make deps` installs) as the client of `kosmo-lua mcp --sim`. Each test
/// runs one scenario of MCPClient/mcp_spend_client.py, which prints what it saw as JSON.
@Suite struct MCPSDKSpendTests {
    /// The scenario's findings; a missing SDK fails with the command that installs it.
    func scenario(_ name: String) async throws -> [String: Any] {
        try await sdkScenario("mcp_spend_client.py", name)
    }

    @Test("A 60 s run ended at a 5 s limit leaves no prediction running in the simulator, and the envelope names it")
    func aLimitLeavesNothingRunning() async throws {
        let found = try await scenario("limit-cancels")
        let envelope = found["envelope"] as? [String: Any] ?? [:]
        #expect(errorKind(envelope) == "limit", "\(envelope)")
        // Generous: the limit is 5 s; the run asked for 60.
        #expect((found["seconds"] as? Double ?? 99) < 30, "took \(found["seconds"] ?? "?") s")
        let run = calls(envelope).first { $0["function"] as? String == "run" } ?? [:]
        let id = run["prediction_id"] as? String ?? ""
        #expect(!id.isEmpty, "the run's record names no prediction: \(calls(envelope))")
        #expect(run["prediction_status"] as? String == "canceled" && run["canceled_at_end"] as? Bool == true, "\(run)")
        #expect(run["in_flight"] as? Bool == true, "\(run)")
        #expect((envelope["running"] as? [Any])?.isEmpty == true, "\(envelope["running"] ?? "")")
        let predictions = found["predictions"] as? [[String: Any]] ?? []
        #expect(predictions.contains { $0["id"] as? String == id && $0["status"] as? String == "canceled" }, "\(predictions)")
        let going = predictions.filter { ["starting", "processing"].contains($0["status"] as? String ?? "") }
        #expect(going.isEmpty, "still running in the simulator: \(going)")
    }

    @Test("Each call carries its model and predict time, the envelope totals them, and --max-predict-seconds refuses the next create")
    func usageAndItsBudget() async throws {
        let found = try await scenario("usage")
        let envelope = found["envelope"] as? [String: Any] ?? [:]
        let result = envelope["result"] as? [String: Any] ?? [:]
        #expect(result["refused"] as? String == "limit", "\(envelope)")
        #expect((result["message"] as? String ?? "").contains("--max-predict-seconds 0.5"), "\(result)")
        let run = calls(envelope).first { $0["function"] as? String == "run" && $0["decision"] as? String == "allowed" } ?? [:]
        #expect(run["model"] as? String == "sim/slow", "\(run)")
        let seconds = run["predict_time"] as? Double ?? 0
        #expect(seconds > 0.5, "\(run)")
        let usage = envelope["usage"] as? [String: Any] ?? [:]
        #expect(usage["predictions"] as? Int == 1, "\(usage)")
        #expect(abs((usage["predict_time"] as? Double ?? 0) - seconds) < 0.01, "\(usage)")
    }
}
