import Foundation
import LuaHost
import Replicate
@testable import ReplicateLua
import ReplicateSim
import Testing

/// Every `replicate.*` call passes the pipeline's stages once each: one question when the policy
/// asks, one request of the call's own, one call-log record; and the seams later stages plug
/// into are passed by catalog functions and helpers alike.
@Suite("Call pipeline")
struct PipelineTests {
    /// A model-input check that refuses inputs holding `refuse`, and counts what it saw.
    final class RefusingCheck: CallCheck, @unchecked Sendable {
        private let lock = NSLock()
        private var seen: [String] = []
        var functions: [String] { lock.withLock { seen } }

        func check(_ call: ReplicateCall, in session: ReplicateSession, stop: StopCheck) throws {
            lock.withLock { seen.append(call.function) }
            if call.arguments["input"]?["refuse"] != nil {
                throw LuaErrors.validation(function: call.function, message: "replicate.\(call.function): refused by the input check")
            }
        }
    }

    /// A pacer that lets everything through and counts the turns it gave, by form.
    final class CountingPacer: CallPacer, @unchecked Sendable {
        private let lock = NSLock()
        private var waited: [String] = []
        private var inPlace: [String] = []
        var waitedFor: [String] { lock.withLock { waited } }
        var tookNow: [String] { lock.withLock { inPlace } }

        func waitTurn(for call: ReplicateCall) async throws { lock.withLock { waited.append(call.function) } }
        func takeTurnNow(for call: ReplicateCall) -> Bool { lock.withLock { inPlace.append(call.function) }; return true }
    }

    /// Runs `code` with writes and reads on `ask`, every question answered yes, and `stages`
    /// plugged into the session.
    func run(_ code: String, sim: Simulator, stages: CallStages = CallStages()) async throws -> (Outcome, ScriptedApprover) {
        let approver = ScriptedApprover(Array(repeating: .yes, count: 20))
        let outcome = try await runLua(code, sim: sim, approver: approver, configure: {
            $0.policy.read = PolicySetting(.ask, source: "test")
            $0.policy.write = PolicySetting(.ask, source: "test")
        }, prepare: { $0.stages = stages })
        return (outcome, approver)
    }

    @Test("get_model: one question, one GET, one record")
    func getModelPassesEachStageOnce() async throws {
        try await withSim { sim in
            let pacer = CountingPacer()
            let (outcome, approver) = try await run(#"return replicate.get_model{model_owner = "sim", model_name = "echo"}.name"#,
                                                    sim: sim, stages: CallStages(pacer: pacer))
            #expect(outcome.text == "echo", "\(String(describing: outcome.error))")
            #expect(approver.questions == 1)
            #expect(sim.requests().map { "\($0.method) \($0.path)" } == ["GET /v1/models/sim/echo"])
            #expect(outcome.calls.map(\.function) == ["get_model"])
            #expect(outcome.calls.first?.decision == .approved && outcome.calls.first?.status == 200)
            // The main chunk waits, so the request went in place (or, without libcurl, from a task).
            #expect(pacer.tookNow.count + pacer.waitedFor.count == 1)
        }
    }

    @Test("run: one question, one create sent in sync mode, one record with the prediction")
    func runPassesEachStageOnce() async throws {
        try await withSim { sim in
            let pacer = CountingPacer()
            let (outcome, approver) = try await run(#"return replicate.run("sim/echo", {text = "hi"})"#, sim: sim, stages: CallStages(pacer: pacer))
            #expect(outcome.error == nil, "\(String(describing: outcome.error))")
            #expect(approver.questions == 1)
            let creates = sim.requests().filter { $0.method == "POST" }
            #expect(creates.map(\.path) == ["/v1/models/sim/echo/predictions"])
            #expect(creates.first?.prefer?.hasPrefix("wait") == true)
            #expect(outcome.calls.map(\.function) == ["run"])
            #expect(outcome.calls.first?.predictionID != nil)
            // A POST is never sent in place: its one turn was taken from a task.
            #expect(pacer.waitedFor == ["run"] && pacer.tookNow.isEmpty)
        }
    }

    @Test("The input check runs for catalog creates and helpers alike, before the question and before any request")
    func inputCheckSeam() async throws {
        try await withSim { sim in
            let check = RefusingCheck()
            let (outcome, approver) = try await run("""
                local a, e1 = pcall(replicate.run, "sim/echo", {refuse = true})
                local b, e2 = pcall(replicate.create_model_prediction, {model_owner = "sim", model_name = "echo", input = {refuse = true}})
                local c, e3 = pcall(replicate.stream, "sim/echo", {refuse = true})
                return json.encode{a, e1.kind, b, e2.kind, c, e3.kind}
                """, sim: sim, stages: CallStages(inputCheck: check))
            let values = try #require(outcome.json?.arrayValue, "\(String(describing: outcome.error))")
            #expect(values == [false, "validation", false, "validation", false, "validation"])
            #expect(check.functions == ["run", "create_model_prediction", "stream"])
            #expect(approver.questions == 0)
            #expect(sim.requests().isEmpty)
        }
    }

    @Test("Calls from tasks take the task form with the same stages: one record and one question per call")
    func tasksPassTheSameStages() async throws {
        try await withSim { sim in
            let pacer = CountingPacer()
            let (outcome, approver) = try await run("""
                local out = replicate.map({"a", "b", "c"}, function(s) return replicate.get_model("sim/echo").name .. s end)
                return table.concat(out, ",")
                """, sim: sim, stages: CallStages(pacer: pacer))
            #expect(outcome.text == "echoa,echob,echoc", "\(String(describing: outcome.error))")
            #expect(outcome.calls.map(\.function) == ["get_model", "get_model", "get_model"])
            #expect(approver.questions == 3)
            #expect(pacer.waitedFor.count == 3 && pacer.tookNow.isEmpty)
            #expect(sim.requests().filter { $0.path == "/v1/models/sim/echo" }.count == 3)
        }
    }
}
