import AgentMode
import Foundation
import Replicate
import ReplicateLua

/// What the server does for a child that could not settle what it created: ended at its hard
/// deadline, or by its watchdog with a prepared envelope. The child tells the server each create
/// as it answers (`ApprovalChannel.tell`); what the child's envelope does not account for is
/// settled here as the child would have done it (`ReplicateSession.settle`): canceled unless
/// `--keep-running`, and named in the envelope's `calls` and `running` with its final state.
final class OrphanSettler: @unchecked Sendable {
    private let settings: ReplicateSettings
    private let lock = NSLock()
    private var madeClient: ReplicateClient?

    /// - Parameter simulatorURL: the session's simulator with `--sim`, which the children use.
    init(settings: ReplicateSettings, simulatorURL: URL?) {
        var settings = settings
        if let simulatorURL {
            settings.baseURL = simulatorURL
            settings.token = "kosmo-sim"
        }
        self.settings = settings
    }

    /// The client, made on first use: most sessions never need it.
    private var client: ReplicateClient {
        lock.withLock {
            if let madeClient { return madeClient }
            let made = ReplicateClient(configuration: settings.clientConfiguration)
            madeClient = made
            return made
        }
    }

    /// `envelope` with every create in `created` it does not name settled and added.
    func account(for created: [CreatedNotice], in envelope: ExecEnvelope) -> ExecEnvelope {
        let named = Set(envelope.calls.compactMap(\.predictionID) + envelope.running.map(\.id))
        var seen = Set<String>()
        let orphans = created.filter { !named.contains($0.id) && seen.insert($0.id).inserted }
        guard !orphans.isEmpty else { return envelope }
        let settled = ReplicateSession.settle(orphans.map { (id: $0.id, kind: $0.kind) }, client: client, cancel: !settings.keepRunning,
                                              seconds: Self.settleSeconds)
        let facts = Dictionary(settled.facts.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
        let left = Dictionary(settled.left.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
        var envelope = envelope
        for orphan in orphans {
            let canceled = left[orphan.id]?.canceled ?? false
            envelope.calls.append(.endedWithItsProcess(orphan, facts: facts[orphan.id], canceled: canceled))
            if let run = left[orphan.id], !run.canceled { envelope.running.append(run) }
            if orphan.kind == .training { envelope.usage.trainings += 1 } else { envelope.usage.predictions += 1 }
            envelope.usage.predictTime += facts[orphan.id]?.predictTime ?? 0
        }
        return envelope
    }

    /// The server's one settler (one server per process), made with the first execution.
    static func shared(settings: ReplicateSettings, simulatorURL: URL?) -> OrphanSettler {
        sharedLock.withLock {
            if let made = made { return made }
            let settler = OrphanSettler(settings: settings, simulatorURL: simulatorURL)
            made = settler
            return settler
        }
    }

    private static let sharedLock = NSLock()
    nonisolated(unsafe) private static var made: OrphanSettler?

    /// Most seconds the server waits for the API while settling a child's runs.
    static let settleSeconds = 10.0
}

/// The creates a child told the server of, read on one thread and taken on another.
final class CreatedNotices: @unchecked Sendable {
    private let lock = NSLock()
    private var notices: [CreatedNotice] = []

    func add(_ notice: CreatedNotice) { lock.withLock { notices.append(notice) } }
    var all: [CreatedNotice] { lock.withLock { notices } }
    /// How many have come so far: a session's call reads the ones after it (`since`).
    var count: Int { lock.withLock { notices.count } }
    func since(_ start: Int) -> [CreatedNotice] { lock.withLock { Array(notices.dropFirst(start)) } }
}
