import Foundation
import Testing

/// Sessions and progress notifications of `kosmo-lua mcp --sim` with the official MCP Python
/// SDK as the client (MCPClient/mcp_session_client.py prints what it saw; the assertions are here).
@Suite struct MCPSDKSessionTests {
    func scenario(_ name: String) async throws -> [String: Any] {
        try await sdkScenario("mcp_session_client.py", name)
    }

    @Test func aSessionVariableIsReadInTheNextCall() async throws {
        let found = try await scenario("session")
        let id = found["session"] as? String ?? ""
        #expect(id.hasPrefix("s-"), "\(found)")
        let read = found["read"] as? [String: Any] ?? [:]
        #expect(read["is_error"] as? Bool == false)
        #expect((read["structured"] as? [String: Any])?["result"] as? String == "hello from call 1", "\(read)")
        #expect((read["structured"] as? [String: Any])?["session"] as? String == id)
        #expect((found["ended"] as? [String: Any])?["is_error"] as? Bool == false, "\(found)")
        let after = found["after"] as? [String: Any] ?? [:]
        #expect(after["is_error"] as? Bool == true)
        #expect((after["text"] as? String ?? "").contains(#"session = "new""#), "\(after)")
    }

    @Test func aTenSecondRunWithAProgressTokenGetsProgressNotifications() async throws {
        let found = try await scenario("progress")
        #expect(found["is_error"] as? Bool == false, "\(found)")
        let notifications = found["notifications"] as? [[String: Any]] ?? []
        expectProgressOfOneRun(notifications, atLeast: 3)
        #expect(found["result"] as? String == "slept 10s")
        // Rate-limited: at most about four a second over the run.
        let elapsed = found["elapsed"] as? Double ?? 0
        #expect(Double(notifications.count) <= elapsed * 4 + 2, "\(notifications.count) in \(elapsed) s")
        #expect((found["quiet"] as? [Any])?.isEmpty == true, "\(found["quiet"] ?? "")")
        // A polled wait reports the status, the logs' latest line and their percentage.
        #expect(found["waited"] as? String == "succeeded", "\(found)")
        let polled = found["polled"] as? [String] ?? []
        #expect(polled.contains { $0.contains("processing") }, "\(polled)")
        #expect(polled.contains { $0.contains("%") && $0.contains("slept") }, "a percentage and a log line: \(polled)")
    }

    @Test func aStatelessClientGetsProgressNotificationsToo() async throws {
        let found = try await scenario("progress_stateless")
        #expect(found["protocol_version"] as? String == "2026-07-28", "\(found)")
        #expect(found["is_error"] as? Bool == false, "\(found)")
        #expect(found["result"] as? String == "slept 4s", "\(found)")
        expectProgressOfOneRun(found["notifications"] as? [[String: Any]] ?? [], atLeast: 2)
    }

    /// The notifications of one `sim/slow` run: at least `count`, progress increasing, the
    /// first naming the model and the last saying it finished.
    func expectProgressOfOneRun(_ notifications: [[String: Any]], atLeast count: Int) {
        #expect(notifications.count >= count, "\(notifications)")
        let values = notifications.compactMap { $0["progress"] as? Double }
        #expect(values == values.sorted() && Set(values).count == values.count, "progress increases: \(values)")
        let messages = notifications.compactMap { $0["message"] as? String }
        #expect(messages.first?.contains("sim/slow") == true, "\(messages)")
        #expect(messages.last?.contains("1 finished") == true, "\(messages)")
    }
}
