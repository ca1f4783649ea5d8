import Foundation
import Replicate

/// The predictions and trainings a run created, recorded as each create's answer arrives (the
/// send stage of every creating call), with what later answers about them said (their status,
/// the time they used), so that when the run ends — finished, failed, stopped by a limit, by
/// Ctrl-C or by its MCP client — the host can say what it leaves running and what it used, and
/// cancel what should not go on.
final class CreatedRuns: @unchecked Sendable {
    // Guards `entries` and `order`; creates are recorded from tasks, read when the run ends.
    private let lock = NSLock()
    private var order: [String] = []
    private var entries: [String: (kind: CreatedRun, facts: RunFacts)] = [:]
    /// Predict time of the runs `reset` forgot (earlier snippets of a session).
    private var earlierPredictSeconds = 0.0
    /// Told of every create as it is recorded (the `exec` child tells its MCP server).
    private let onCreate: CreateObserver?

    init(onCreate: CreateObserver? = nil) {
        self.onCreate = onCreate
    }

    /// Records what `function` created, with what its create's answer said.
    func record(_ id: String, _ kind: CreatedRun, _ facts: RunFacts?, function: String) {
        lock.withLock {
            if entries[id] == nil { order.append(id) }
            let known = entries[id]?.facts ?? RunFacts(id: id)
            entries[id] = (kind, facts.map { known.merged(with: $0) } ?? known)
        }
        onCreate?(CreatedNotice(id: id, kind: kind, function: function))
    }

    /// Takes what a later answer says about a run this run created; a run it did not create
    /// (one read by id from an earlier run) is not its spend, and is left out.
    func learn(_ facts: RunFacts) {
        lock.withLock {
            guard let entry = entries[facts.id] else { return }
            entries[facts.id] = (entry.kind, entry.facts.merged(with: facts))
        }
    }

    /// Forgets the runs recorded so far (a host that runs several snippets in one session
    /// starts each with `ReplicateSession.beginRun`, so one snippet's end settles only its own).
    /// The predict time of the runs forgotten so far stays counted (`predictSeconds`): a
    /// session's budget (`--max-predict-seconds`) covers all its snippets.
    func reset() {
        lock.withLock {
            earlierPredictSeconds += entries.values.reduce(0) { $0 + ($1.facts.predictTime ?? 0) }
            order.removeAll()
            entries.removeAll()
        }
    }

    /// Every run created, in the order they were created.
    var all: [(id: String, kind: CreatedRun, facts: RunFacts)] {
        lock.withLock {
            order.compactMap { id -> (id: String, kind: CreatedRun, facts: RunFacts)? in
                guard let entry = entries[id] else { return nil }
                return (id: id, kind: entry.kind, facts: entry.facts)
            }
        }
    }

    // Creates sent and not yet answered; `sendsDone` is signalled as each answers.
    private var sending = 0
    private let sendsDone = NSCondition()

    /// A create is being sent.
    func beginSend() {
        sendsDone.withLock { sending += 1 }
    }

    /// A create answered (or failed); its id, if any, is recorded.
    func endSend() {
        sendsDone.withLock {
            sending -= 1
            sendsDone.broadcast()
        }
    }

    /// Waits until every create sent has answered, at most `seconds`: then every prediction
    /// the run made has its id here. Returns whether they all answered.
    @discardableResult
    func waitForSends(seconds: Double) -> Bool {
        let end = Date().addingTimeInterval(seconds)
        return sendsDone.withLock {
            while sending > 0 {
                if !sendsDone.wait(until: end) { return sending == 0 }
            }
            return true
        }
    }

    /// Seconds of predict time the created runs have reported so far (a run still going
    /// reports its time when it ends), those of earlier snippets of the session included.
    var predictSeconds: Double {
        lock.withLock { earlierPredictSeconds + entries.values.reduce(0) { $0 + ($1.facts.predictTime ?? 0) } }
    }
}

/// A prediction or training as its create answered: what an observer of creates is told.
public struct CreatedNotice: Sendable, Equatable {
    public var id: String
    public var kind: CreatedRun
    /// The function whose call created it (`run`, `create_prediction`, …).
    public var function: String

    public init(id: String, kind: CreatedRun, function: String) {
        (self.id, self.kind, self.function) = (id, kind, function)
    }
}

/// Told of each create as its answer arrives, on the thread that sent it.
public typealias CreateObserver = @Sendable (CreatedNotice) -> Void

extension CallRecord {
    /// The record of a create whose run ended with its process (an MCP server's child it had
    /// to end): allowed, since it was sent; in flight, since nothing says it finished; with its
    /// prediction's state as the server settled it.
    public static func endedWithItsProcess(_ created: CreatedNotice, facts: RunFacts?, canceled: Bool) -> CallRecord {
        var record = CallRecord(function: created.function, access: .write, decision: .allowed, status: nil, ms: 0,
                                predictionID: created.id, error: nil, run: facts, inFlight: true)
        record.canceledAtEnd = canceled
        return record
    }
}

/// A created prediction or training as the run leaves it.
public struct LeftRun: Sendable, Equatable {
    public var id: String
    /// `prediction` or `training`.
    public var kind: String
    /// Its status when the run ended (after the cancel, when it was canceled).
    public var status: String
    /// Whether the host canceled it because the run ended.
    public var canceled: Bool

    public init(id: String, kind: String, status: String, canceled: Bool) {
        (self.id, self.kind, self.status, self.canceled) = (id, kind, status, canceled)
    }
}

/// What a run used: the predictions and trainings it created and the predict time they reported.
public struct RunUsage: Sendable, Equatable {
    public var predictions: Int
    public var trainings: Int
    /// Seconds of CPU or GPU time, summed over the runs that reported one.
    public var predictTime: Double

    public init(predictions: Int = 0, trainings: Int = 0, predictTime: Double = 0) {
        (self.predictions, self.trainings, self.predictTime) = (predictions, trainings, predictTime)
    }
}

/// How a run ended for what it created: what is still running (each with its final state), what
/// the host canceled, and what the run used.
public struct RunEnding: Sendable {
    /// Every call, the ones still in flight at the end included, each naming the final state of
    /// the prediction it made.
    public var calls: [CallRecord]
    /// Created runs the end left going: by choice (a run that succeeded without waiting for
    /// them, or `--keep-running`) or because their state could not be read.
    public var running: [LeftRun]
    /// Created runs the host canceled because the run ended while they still ran.
    public var canceled: [LeftRun]
    public var usage: RunUsage
}

extension ReplicateSession {
    /// The one end of every agent run (`exec`, and through it each MCP execution): closes the
    /// call log (calls still in flight become records), settles what the run created — canceled
    /// when `failed` and the settings cancel on exit (the default of `exec` and `mcp`, unless
    /// `--keep-running`), else read and listed as running — and totals what it used.
    public func endRun(failed: Bool) -> RunEnding {
        beginEnding()
        // A create still open has made a prediction, or is about to: wait for its id.
        createdRuns.waitForSends(seconds: Self.settleSeconds)
        let cancel = failed && settings.cancelOnExit
        // Running as far as the run knew when it ended: a call it stopped may have canceled its
        // own prediction on the way out (`wait` does), which is then canceled by this end too.
        let open = Set(createdRuns.all.filter { !$0.facts.hasEnded }.map(\.id))
        let left = settleCreated(cancel: cancel)
        let endedCanceled = cancel ? createdRuns.all.filter { open.contains($0.id) && $0.facts.status == PredictionStatus.canceled.rawValue }.map(\.id) : []
        let canceledIDs = Set(left.filter(\.canceled).map(\.id)).union(endedCanceled)
        let canceled = createdRuns.all.filter { canceledIDs.contains($0.id) }
            .map { LeftRun(id: $0.id, kind: $0.kind.rawValue, status: $0.facts.status ?? "canceled", canceled: true) }
        callLog.settle(createdRuns.all.map(\.facts), canceled: canceledIDs)
        var usage = RunUsage()
        for run in createdRuns.all {
            if run.kind == .training { usage.trainings += 1 } else { usage.predictions += 1 }
            usage.predictTime += run.facts.predictTime ?? 0
        }
        return RunEnding(calls: callLog.records, running: left.filter { !$0.canceled }, canceled: canceled, usage: usage)
    }

    /// Starts a new run in a session that runs several (the REPL, a session of snippets): the
    /// call log and the runs created are this run's from now on, so its end settles, lists and
    /// totals only what it made — what an earlier run left running (the background pattern) is
    /// not canceled by a later one's failure. `--max-predictions` still counts the session's.
    public func beginRun() {
        callLog.reset()
        createdRuns.reset()
    }

    /// The first step of `endRun`, for a host to take before it closes the VM (which cancels
    /// the calls still in flight): those calls are recorded as in flight now, and their tasks'
    /// cancellations are not recorded after. Taking it twice does nothing more.
    public func beginEnding() {
        callLog.close()
    }

    /// Most seconds the end of a run waits for the API while settling what it created; what is
    /// not settled by then is reported `unknown`.
    static let settleSeconds = 10.0

    /// What the run created that is still running, after canceling it when `cancel` (the
    /// default of `exec` and `mcp` for a run that failed, and `--cancel-on-exit`). Blocks until
    /// the API answers (at most `settleSeconds`); a run whose state cannot be read is reported
    /// `unknown`. Empty when the run created nothing or everything it made has finished.
    public func settleCreated(cancel: Bool) -> [LeftRun] {
        let created = createdRuns.all
        // A run whose last answer showed it ended needs no question.
        let open = created.filter { !$0.facts.hasEnded }
        guard !open.isEmpty else { return [] }
        // What the run leaves running stays in the journal as running, with its id.
        let journal = self.journal
        let settled = Self.settle(open.map { (id: $0.id, kind: $0.kind) }, client: client, cancel: cancel, seconds: Self.settleSeconds,
                                  observe: { journal.observe($0) })
        for facts in settled.facts { createdRuns.learn(facts) }
        return settled.left
    }

    /// Reads each run's state and, when `cancel`, cancels the ones still going, all at once;
    /// waits at most `seconds`. Returns what is left (or was canceled) and what the answers said.
    /// The MCP server settles a child's runs with it when the child could not. `observe` sees
    /// every state read or cancel answer (the run's journal records them).
    public static func settle(_ runs: [(id: String, kind: CreatedRun)], client: ReplicateClient, cancel: Bool,
                              seconds: Double, observe: @escaping @Sendable (JSONValue) -> Void = { _ in }) -> (left: [LeftRun], facts: [RunFacts]) {
        let end = Date().addingTimeInterval(seconds)
        let stop = StopCheck(shouldStop: { Date() >= end }, secondsLeft: { end.timeIntervalSinceNow })
        let answered = try? waitBlocking(stop: stop) {
            await withTaskGroup(of: (Int, LeftRun?, RunFacts?).self) { group in
                for (index, run) in runs.enumerated() {
                    group.addTask { let (left, facts) = await settleOne(run.id, run.kind, client: client, cancel: cancel, observe: observe); return (index, left, facts) }
                }
                var results: [(Int, LeftRun?, RunFacts?)] = []
                for await result in group { results.append(result) }
                return results.sorted { $0.0 < $1.0 }
            }
        }
        guard let answered else {
            return (runs.map { LeftRun(id: $0.id, kind: $0.kind.rawValue, status: "unknown", canceled: false) }, [])
        }
        return (answered.compactMap(\.1), answered.compactMap(\.2))
    }

    private static func settleOne(_ id: String, _ kind: CreatedRun, client: ReplicateClient, cancel: Bool,
                                  observe: @Sendable (JSONValue) -> Void) async -> (LeftRun?, RunFacts?) {
        let isTraining = kind == .training
        let current: JSONValue
        do {
            current = isTraining ? try await client.trainings.get(id).raw : try await client.predictions.get(id).raw
            observe(current)
        } catch {
            return (LeftRun(id: id, kind: kind.rawValue, status: "unknown", canceled: false), nil)
        }
        guard var facts = RunFacts(current), !facts.hasEnded else { return (nil, RunFacts(current)) }
        guard cancel else { return (LeftRun(id: id, kind: kind.rawValue, status: facts.status ?? "unknown", canceled: false), facts) }
        let stopped = try? await (isTraining ? client.trainings.cancel(id).raw : client.predictions.cancel(id).raw)
        if let stopped { observe(stopped) }
        guard let stopped, let after = RunFacts(stopped) else {
            return (LeftRun(id: id, kind: kind.rawValue, status: facts.status ?? "unknown", canceled: false), facts)
        }
        facts = facts.merged(with: after)
        return (LeftRun(id: id, kind: kind.rawValue, status: facts.status ?? "canceled", canceled: true), facts)
    }

    /// How many predictions and trainings the run has created so far.
    public var createdCount: Int { createdRuns.all.count }

    /// What the run created after its first `since` creates that had not ended when last seen,
    /// with no request made: the REPL names what a stopped line left running and goes on.
    public func lastSeenRunning(since: Int) -> [LeftRun] {
        createdRuns.all.dropFirst(since).filter { !$0.facts.hasEnded }.map {
            LeftRun(id: $0.id, kind: $0.kind.rawValue, status: $0.facts.status ?? "unknown", canceled: false)
        }
    }

    /// One line for a person: what the run leaves running, or canceled on its way out.
    public static func describe(_ left: [LeftRun]) -> String? {
        guard !left.isEmpty else { return nil }
        let canceled = left.filter(\.canceled), running = left.filter { !$0.canceled }
        var parts: [String] = []
        if !canceled.isEmpty { parts.append("canceled \(canceled.count) still running: " + canceled.map(\.id).joined(separator: ", ")) }
        if !running.isEmpty {
            parts.append("\(running.count) still running: " + running.map { "\($0.id) (\($0.status))" }.joined(separator: ", ")
                + "; cancel with replicate.cancel_prediction, or run with --cancel-on-exit")
        }
        return parts.joined(separator: "; ")
    }
}
