import Foundation
import LuaHost
import Replicate
@testable import ReplicateLua
import ReplicateSim
import Testing

@Suite("Typed vocabulary: creating calls, error kinds, decisions, access")
struct VocabularyTests {
    @Test("OperationSpec.creates names the four billed creates; the three prediction ones are exactly those with a Prefer header")
    func creatingCalls() {
        let creating = Catalog.operations.filter { $0.creates != nil }.map(\.name).sorted()
        #expect(creating == ["create_deployment_prediction", "create_model_prediction", "create_prediction", "create_training"])
        #expect(Catalog.operation(named: "create_training")?.creates == .training)
        let predictions = Catalog.operations.filter { $0.creates == .prediction }.map(\.name).sorted()
        let preferHeader = Catalog.operations.filter { op in op.parameters.contains { $0.location == .header && $0.name == "Prefer" } }
        #expect(predictions == preferHeader.map(\.name).sorted())
        // Only a prediction's create takes the friendly header spellings.
        for operation in Catalog.operations {
            let takesWait = operation.argumentNames.contains("wait") && operation.argumentNames.contains("cancel_after")
            #expect(takesWait == (operation.creates == .prediction), "\(operation.name)")
        }
    }

    @Test("Spend guard: a training counts, a write that creates no run does not, and the refusal is logged as write/denied/limit")
    func spendGuardCountsTrainings() async throws {
        try await withSim { sim in
            let outcome = try await runLua("""
                local base = replicate.get_model("sim/trainable")
                replicate.create_model{owner = "sim", name = "guarded", visibility = "private", hardware = "cpu"}
                replicate.create_training{model_owner = base.owner, model_name = base.name, version_id = base.latest_version.id,
                                          destination = "sim/guarded", input = {steps = 1}}
                replicate.create_model{owner = "sim", name = "guarded-2", visibility = "private", hardware = "cpu"}
                local ok, e = pcall(replicate.create_prediction, {version = base.latest_version.id, input = {text = "x"}})
                return json.encode{ok, e.kind}
                """, sim: sim) {
                $0.policy.force = true
                $0.maxPredictions = 1
            }
            let values = try #require(outcome.json?.arrayValue, "\(String(describing: outcome.error))")
            #expect(values == [false, "limit"])
            #expect(!sim.requests().contains { $0.method == "POST" && $0.path.hasSuffix("/predictions") })
            let refused = try #require(outcome.calls.last)
            #expect(refused.function == "create_prediction" && refused.access == .write && refused.decision == .denied && refused.error == .limit)
            #expect(outcome.calls.dropLast().allSatisfy { $0.decision == .forced && $0.error == nil })
        }
    }

    @Test("Error kinds: the words users see, the client's kinds mapped into them, unknown words read as runtime")
    func errorKinds() {
        #expect(ErrorKind.allCases.map(\.rawValue) == [
            "http", "network", "timeout", "model", "validation", "permission", "limit", "runtime", "syntax", "interrupted", "usage", "config",
        ])
        for kind in [ReplicateError.Kind.http, .network, .timeout, .model, .validation] {
            #expect(kind.errorKind.rawValue == kind.rawValue)
        }
        #expect(ErrorKind(reading: "permission") == .permission)
        #expect(ErrorKind(reading: "something-new") == .runtime)
        #expect(ErrorKind(RunError(kind: .syntax, message: "x")) == .syntax)
        #expect(ErrorKind(RunError(kind: .limit, message: "x")) == .limit)
        #expect(ErrorKind(RunError(kind: .interrupted, message: "x")) == .interrupted)
        #expect(ErrorKind(RunError(kind: .runtime, message: "x")) == .runtime)
        #expect(ErrorKind(RunError(kind: .host, message: "x", hostKind: "http")) == .http)
        // A host kind wins over the VM's own class, as it did when the kind was a string.
        #expect(ErrorKind(RunError(kind: .limit, message: "x", hostKind: "permission")) == .permission)
    }

    @Test("A call record reads and writes the same text; words from another build read as write, denied, runtime")
    func callRecordText() throws {
        let text = #"{"function":"run","access":"read","decision":"approved","status":201,"ms":1.5,"prediction_id":"p1","error":"model"}"#
        let record = try JSONDecoder().decode(CallRecord.self, from: Data(text.utf8))
        #expect(record.access == .read && record.decision == .approved && record.error == .model && record.predictionID == "p1")
        let back = try JSONSerialization.jsonObject(with: JSONEncoder().encode(record)) as? [String: Any]
        #expect(back?["access"] as? String == "read" && back?["decision"] as? String == "approved" && back?["error"] as? String == "model")
        #expect(record.traceLine == "kosmo-lua: trace: replicate.run read approved → 201 (model error) in 2 ms [p1]")

        let odd = #"{"function":"x","access":"admin","decision":"queued","status":null,"ms":0,"prediction_id":null,"error":"exploded"}"#
        let read = try JSONDecoder().decode(CallRecord.self, from: Data(odd.utf8))
        #expect(read.access == .write && read.decision == .denied && read.error == .runtime)
    }

    @Test("Every decision's word, as the call log and envelopes write it")
    func decisions() {
        #expect(Decision.allCases.map(\.rawValue) == ["allowed", "approved", "forced", "denied"])
    }
}
