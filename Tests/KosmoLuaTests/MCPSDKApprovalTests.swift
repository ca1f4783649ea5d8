import Foundation
import Testing

/// Approval through `kosmo-lua mcp --sim --write ask`, the official MCP Python SDK as the client
/// (MCPClient/mcp_approval_client.py prints what each scenario saw; the assertions are here). A
/// stateless (2026-07-28) client is answered with an input-required result and resumes the same
/// execution with the person's answer; a handshake client gets an elicitation request.
@Suite struct MCPSDKApprovalTests {
    func scenario(_ name: String) async throws -> [String: Any] {
        try await sdkScenario("mcp_approval_client.py", name)
    }

    static func calls(_ envelope: [String: Any]) -> [(function: String, decision: String)] {
        (envelope["calls"] as? [[String: Any]] ?? []).map { ($0["function"] as? String ?? "", $0["decision"] as? String ?? "") }
    }

    @Test("A stateless client approves through an input-required result; the execution resumes where it asked, nothing runs twice",
          arguments: ["modern-allow", "legacy-allow"])
    func approvedWriteResumes(_ name: String) async throws {
        let found = try await scenario(name)
        #expect(found["protocol_version"] as? String == (name == "modern-allow" ? "2026-07-28" : "2025-11-25"))
        let asked = found["asked"] as? [String] ?? []
        #expect(asked.count == 1 && asked.first?.contains("replicate.cancel_prediction") == true, "\(asked)")
        let envelope = found["envelope"] as? [String: Any] ?? [:]
        #expect(envelope["ok"] as? Bool == true, "\(envelope)")
        #expect((envelope["result"] as? [String: Any])?["status"] as? String == "canceled")
        let calls = Self.calls(envelope)
        #expect(calls.map(\.function) == ["create_prediction", "cancel_prediction"] && calls.last?.decision == "approved", "\(calls)")
        // Printed once, and one prediction in the session's simulator: the snippet was not re-run.
        #expect((envelope["output"] as? String ?? "").components(separatedBy: "created ").count == 2)
        #expect(found["predictions"] as? Int == 1)
    }

    @Test("A stateless client's person declines: the call is a permission error after the allowed create, which is kept")
    func declinedWriteIsRefused() async throws {
        let found = try await scenario("modern-decline")
        let envelope = found["envelope"] as? [String: Any] ?? [:]
        #expect(envelope["ok"] as? Bool == false)
        #expect((envelope["error"] as? [String: Any])?["kind"] as? String == "permission", "\(envelope)")
        #expect(Self.calls(envelope).map(\.decision) == ["allowed", "denied"])
        #expect(found["predictions"] as? Int == 1)
    }

    @Test("requestState is checked: forged or from another call is refused, a retry without the answer asks again, a used one is refused")
    func requestStateIsVerified() async throws {
        let found = try await scenario("modern-rounds")
        #expect(found["method"] as? String == "elicitation/create")
        #expect((found["message"] as? String ?? "").contains("replicate.cancel_prediction"))
        #expect(found["enum"] as? [String] == ["allow once", "deny", "always allow this function", "allow all writes"])
        func shown(_ key: String) -> [String: Any] { found[key] as? [String: Any] ?? [:] }
        func message(_ key: String) -> String {
            (((shown(key)["envelope"] as? [String: Any])?["error"]) as? [String: Any])?["message"] as? String ?? ""
        }
        #expect(message("tampered").contains("not one this server issued"), "\(shown("tampered"))")
        #expect(message("other").contains("belongs to another call"), "\(shown("other"))")
        #expect(shown("again")["input_required"] as? Bool == true, "\(shown("again"))")
        let done = shown("done")["envelope"] as? [String: Any] ?? [:]
        #expect(done["ok"] as? Bool == true && Self.calls(done).map(\.function) == ["create_prediction", "cancel_prediction"], "\(done)")
        #expect(message("replay").contains("has ended"), "\(shown("replay"))")
    }
}
