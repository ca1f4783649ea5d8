import Foundation
import Replicate

/// The predictions and trainings a run created, recorded as each create's answer arrives (the
/// send stage of every creating call), so that when the run ends — finished, failed, stopped by
/// a limit or Ctrl-C — the host can say what it leaves running and, when asked, cancel it.
final class CreatedRuns: @unchecked Sendable {
    // Guards `entries`; creates are recorded from tasks, read when the run ends.
    private let lock = NSLock()
    private var entries: [(id: String, kind: CreatedRun)] = []

    func record(_ id: String, _ kind: CreatedRun) {
        lock.withLock { entries.append((id, kind)) }
    }

    var all: [(id: String, kind: CreatedRun)] { lock.withLock { entries } }
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
}

extension ReplicateSession {
    /// What the run created that is still running, after canceling it when `cancel` (the
    /// default of `exec` and `mcp`, and `--cancel-on-exit`). Blocks until the API answers; a
    /// run whose state cannot be read is reported `unknown`. Empty when the run created nothing
    /// or everything it made has finished.
    public func settleCreated(cancel: Bool) -> [LeftRun] {
        let created = createdRuns.all
        guard !created.isEmpty else { return [] }
        let client = self.client
        let journal = self.journal
        let left = try? waitBlocking {
            var left: [LeftRun] = []
            for (id, kind) in created {
                let isTraining = kind == .training
                let status: PredictionStatus
                do {
                    let raw = isTraining ? try await client.trainings.get(id).raw : try await client.predictions.get(id).raw
                    // What the run leaves running stays in the journal as running, with its id.
                    journal.observe(raw)
                    status = PredictionStatus(rawValue: raw["status"]?.stringValue ?? "")
                } catch {
                    left.append(LeftRun(id: id, kind: isTraining ? "training" : "prediction", status: "unknown", canceled: false))
                    continue
                }
                guard !status.isTerminal else { continue }
                var ended = status.rawValue
                var didCancel = false
                if cancel {
                    if let stopped = try? await (isTraining ? client.trainings.cancel(id).raw : client.predictions.cancel(id).raw) {
                        journal.observe(stopped)
                        ended = stopped["status"]?.stringValue ?? "unknown"
                        didCancel = true
                    }
                }
                left.append(LeftRun(id: id, kind: isTraining ? "training" : "prediction", status: ended, canceled: didCancel))
            }
            return left
        }
        return left ?? []
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
