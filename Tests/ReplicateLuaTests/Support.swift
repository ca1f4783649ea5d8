import Foundation
import LuaHost
import Replicate
@testable import ReplicateLua
import ReplicateSim

/// Starts a simulator on a free loopback port, runs `body`, always shuts it down.
/// `configure` sets anything else (faults, rate limits) before it starts.
func withSim<T>(speed: Double = 20, pageSize: Int = 100, configure: (inout SimulatorOptions) throws -> Void = { _ in },
                _ body: (Simulator) async throws -> T) async throws -> T {
    var options = SimulatorOptions()
    options.speed = speed
    options.pageSize = pageSize
    try configure(&options)
    return try await Simulator.withRunning(options, body)
}

/// An approver that answers from a script and counts the questions.
final class ScriptedApprover: Approver, @unchecked Sendable {
    private let lock = NSLock()
    private var answers: [ApprovalAnswer]
    private(set) var asked: [ApprovalRequest] = []

    init(_ answers: [ApprovalAnswer]) { self.answers = answers }

    func approve(_ request: ApprovalRequest) -> ApprovalAnswer {
        lock.lock()
        defer { lock.unlock() }
        asked.append(request)
        return answers.isEmpty ? .no : answers.removeFirst()
    }

    var questions: Int {
        lock.lock()
        defer { lock.unlock() }
        return asked.count
    }
}

/// What a script run produced.
struct Outcome {
    var results: [LuaValue]
    var error: RunError?
    var calls: [CallRecord]
    var output: String

    /// The first result as text (a string, or a JSON document's text).
    var text: String? {
        switch results.first {
        case .bytes(let b)?: return String(decoding: b, as: UTF8.self)
        case .string(let s)?: return s
        case .json(let b)?: return String(decoding: b, as: UTF8.self)
        case .integer(let i)?: return String(i)
        case .boolean(let b)?: return String(b)
        default: return nil
        }
    }

    /// The first result parsed as JSON (scripts return `json.encode{…}`).
    var json: JSONValue? { text.flatMap { try? JSONValue(parsing: $0) } }
}

/// Runs `code` with a `replicate` table pointed at `sim`, on a VM thread of its own;
/// `prepare` sees the session before the first call (to plug stages in).
func runLua(_ code: String, sim: Simulator, profile: Profile = .standard, approver: any Approver = NoApprover(),
            configure: (inout ReplicateSettings) -> Void = { _ in },
            prepare: @escaping @Sendable (ReplicateSession) -> Void = { _ in }) async throws -> Outcome {
    var settings = ReplicateSettings()
    settings.baseURL = sim.baseURL
    settings.token = "r8_test_token"
    configure(&settings)
    let frozen = settings
    return try await VMThread.run {
        let limits = profile == .sandbox ? Limits.sandboxDefaults : Limits.none
        let vm = try LuaVM(profile: profile, limits: limits, output: OutputCapture(keep: true, passthrough: false, limit: limits.outputBytes))
        let session = ReplicateSession(settings: frozen, approver: approver, sandboxed: profile == .sandbox,
                                       maxRequestsInFlight: profile == .sandbox ? 64 : nil, progress: nil)
        prepare(session)
        try ReplicateLibrary.install(in: vm, session: session)
        var outcome = Outcome(results: [], error: nil, calls: [], output: "")
        do {
            outcome.results = try vm.run(Array(code.utf8), chunkName: "=test")
        } catch let error as RunError {
            outcome.error = error
        }
        outcome.calls = session.callLog.records
        outcome.output = vm.output.text
        return outcome
    }
}

/// Plausible arguments for every catalog function, enough to pass the argument checks.
func sampleArguments(_ operation: OperationSpec) -> JSONValue {
    var arguments: [String: JSONValue] = [:]
    for spec in operation.parameters + (operation.body?.fields ?? []) where spec.required {
        switch spec.type {
        case "integer", "number": arguments[spec.name] = 1
        case "boolean": arguments[spec.name] = true
        case "object": arguments[spec.name] = .object([:])
        case "array": arguments[spec.name] = .array([])
        default: arguments[spec.name] = "x"
        }
    }
    return .object(arguments)
}
