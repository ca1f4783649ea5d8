import Foundation
import LuaHost
import Replicate
@testable import ReplicateLua
import ReplicateSim
import Testing

/// A session that runs several snippets starts each with `beginRun`, so one snippet's end
/// settles only what it made: a prediction an earlier snippet started and returned (the
/// background pattern) survives a later snippet's failure.
@Suite("One run's end in a session of several")
struct RunEndingTests {
    static let create = #"return replicate.create_model_prediction{model_owner = "sim", model_name = "slow", input = {seconds = 600}}.id"#

    /// Runs two snippets in one session and VM (the first creates, the second fails), with or
    /// without `beginRun` between; returns the second run's end and the first prediction's status.
    func twoRuns(beginning: Bool, sim: Simulator) async throws -> (RunEnding, String) {
        var settings = ReplicateSettings()
        settings.baseURL = sim.baseURL
        settings.token = "r8_test_token"
        settings.policy.write = PolicySetting(.allow, source: "test")
        settings.cancelOnExit = true
        let frozen = settings
        return try await VMThread.run {
            let vm = try LuaVM(profile: .sandbox, limits: Limits.sandboxDefaults, output: OutputCapture(keep: true, passthrough: false, limit: nil))
            let session = ReplicateSession(settings: frozen, approver: NoApprover(), sandboxed: true, maxRequestsInFlight: 64)
            try ReplicateLibrary.install(in: vm, session: session)
            let first = try vm.run(Array(Self.create.utf8), chunkName: "=first")
            let id: String
            switch first.first {
            case .string(let text)?: id = text
            case .bytes(let bytes)?: id = String(decoding: bytes, as: UTF8.self)
            default: throw Stopped()
            }
            _ = session.endRun(failed: false)
            if beginning { session.beginRun() }
            #expect(throws: RunError.self) { try vm.run(Array("error('boom')".utf8), chunkName: "=second") }
            let ending = session.endRun(failed: true)
            let status = (try? waitBlocking { try await session.client.predictions.get(id).status.rawValue }) ?? "unknown"
            _ = try? waitBlocking { try await session.client.predictions.cancel(id) }
            return (ending, status)
        }
    }

    @Test("With beginRun, a later failure leaves an earlier run's prediction running")
    func eachRunSettlesItsOwn() async throws {
        try await withSim { sim in
            let (ending, status) = try await twoRuns(beginning: true, sim: sim)
            #expect(ending.canceled.isEmpty && ending.running.isEmpty && ending.usage == RunUsage(), "\(ending)")
            #expect(["starting", "processing"].contains(status), "\(status)")
        }
    }

    @Test("Without it the session is one run, and its failure cancels what it made")
    func oneRunSettlesAll() async throws {
        try await withSim { sim in
            let (ending, status) = try await twoRuns(beginning: false, sim: sim)
            #expect(ending.canceled.count == 1 && ending.usage.predictions == 1, "\(ending)")
            #expect(status == "canceled", "\(status)")
        }
    }
}
