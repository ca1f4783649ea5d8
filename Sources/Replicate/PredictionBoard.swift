import Foundation

/// Waits for many predictions at once with one poller: a page of `list_predictions` answers for
/// up to a hundred of them, where polling each with `get_prediction` would spend a request per
/// prediction per poll and, with thousands in flight, far more than the 3,000 a minute the
/// service allows. A prediction seen finished in the list is fetched once in full (a list may
/// leave fields out), and its waiter is woken with it.
///
/// A client's waits go through it only while more than `shareFrom` of them are in progress; a
/// few waits poll on their own (`ReplicateClient.wait`), as before, and move over at their next
/// poll once there are more. A waiter is a continuation
/// and a few fields: the memory per prediction in flight stays small. Every request it sends
/// takes its turn from the client's pacer like any other.
final class PredictionBoard: @unchecked Sendable {
    /// Waits in progress beyond which they share the poller.
    static let shareFrom = 16
    /// Time between rounds of listing.
    static let interval: TimeInterval = 1
    /// Most pages one round lists (a hundred predictions each).
    static let maxPages = 100
    /// Most predictions a round fetches one by one when the list did not show them.
    static let maxMissingFetches = 20

    private struct Waiter {
        let id: String
        let created: Date
        let deadline: Date
        let timeout: TimeInterval
        var last: Prediction
        let onUpdate: (@Sendable (Prediction) -> Void)?
        let continuation: CheckedContinuation<Prediction, any Error>
    }

    // Guards everything below; never held across an await.
    private let lock = NSLock()
    private var inProgress = 0
    private var waiters: [UUID: Waiter] = [:]
    private var polling = false

    /// Counts a wait that starts.
    func begin() {
        lock.withLock { inProgress += 1 }
    }

    /// Whether waits should go through the board now.
    var isShared: Bool {
        lock.withLock { inProgress > Self.shareFrom }
    }

    /// The error of a wait past its deadline, carrying the last state seen.
    static func timedOut(_ prediction: Prediction, after timeout: TimeInterval) -> ReplicateError {
        ReplicateError(kind: .timeout, message: "prediction \(prediction.id) still \(prediction.status) after \(Int64(min(max(0, timeout), 1e12))) s",
                       prediction: prediction.raw, operation: "wait")
    }

    /// Counts a wait that ended (whichever way it waited).
    func end() {
        lock.withLock { inProgress -= 1 }
    }

    /// Waits for `prediction` to finish, up to `deadline` (a wait of `timeout` seconds in all,
    /// for the error); throws `CancellationError` when the task is cancelled and a `.timeout`
    /// error carrying the last state seen at the deadline.
    func wait(for prediction: Prediction, until deadline: Date, timeout: TimeInterval, client: ReplicateClient,
              onUpdate: (@Sendable (Prediction) -> Void)?) async throws -> Prediction {
        let key = UUID()
        let created = prediction.createdDate ?? Date()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Prediction, any Error>) in
                let startLoop = lock.withLock { () -> Bool in
                    waiters[key] = Waiter(id: prediction.id, created: created, deadline: deadline, timeout: timeout,
                                          last: prediction, onUpdate: onUpdate, continuation: continuation)
                    defer { polling = true }
                    return !polling
                }
                if Task.isCancelled { finish(key, with: .failure(CancellationError())) }
                if startLoop { Task.detached { await self.poll(client) } }
            }
        } onCancel: {
            finish(key, with: .failure(CancellationError()))
        }
    }

    /// Wakes the waiter `key` (once: a waiter already woken is gone).
    private func finish(_ key: UUID, with result: Result<Prediction, any Error>) {
        guard let waiter = lock.withLock({ waiters.removeValue(forKey: key) }) else { return }
        waiter.continuation.resume(with: result)
    }

    /// Rounds of listing while anyone waits; the loop ends with the last waiter.
    private func poll(_ client: ReplicateClient) async {
        while true {
            let snapshot = lock.withLock { () -> [UUID: Waiter]? in
                if waiters.isEmpty {
                    polling = false
                    return nil
                }
                return waiters
            }
            guard let snapshot else { return }
            await round(snapshot, client: client)
            try? await Task.sleep(nanoseconds: RetryEngine.nanoseconds(Self.interval))
        }
    }

    /// One round: the deadlines that passed, then the list pages back to the oldest waiter's
    /// creation, then one fetch for each prediction the list shows finished.
    private func round(_ snapshot: [UUID: Waiter], client: ReplicateClient) async {
        let now = Date()
        var byID: [String: [UUID]] = [:]
        for (key, waiter) in snapshot {
            if now >= waiter.deadline {
                finish(key, with: .failure(Self.timedOut(waiter.last, after: waiter.timeout)))
            } else {
                byID[waiter.id, default: []].append(key)
            }
        }
        guard let oldest = snapshot.values.map(\.created).min(), !byID.isEmpty else { return }
        var pending = Set(byID.keys)
        var finished: [String] = []
        // A second of slack: the server's clock and the creation times it gave may differ.
        var page = try? await client.predictions.list(createdAfter: Self.timestamp(oldest.addingTimeInterval(-1)))
        var pages = 0
        while let current = page {
            pages += 1
            for item in current.results where pending.contains(item.id) {
                pending.remove(item.id)
                if item.status.isTerminal {
                    finished.append(item.id)
                } else {
                    for key in byID[item.id] ?? [] { update(key, with: item) }
                }
            }
            guard !pending.isEmpty, pages < Self.maxPages, current.next != nil else { break }
            page = try? await client.nextPage(of: current)
        }
        // Those the list did not show (made before the window it covered, or by a list that
        // failed) are fetched one by one, a few a round.
        let missing = Array(pending.prefix(Self.maxMissingFetches))
        let fetches = finished + missing
        await withTaskGroup(of: Prediction?.self) { group in
            for id in fetches { group.addTask { try? await client.predictions.get(id) } }
            for await fetched in group {
                guard let fetched else { continue }
                for key in byID[fetched.id] ?? [] {
                    if fetched.status.isTerminal {
                        lock.withLock { waiters[key] }?.onUpdate?(fetched)
                        finish(key, with: .success(fetched))
                    } else {
                        update(key, with: fetched)
                    }
                }
            }
        }
    }

    /// Keeps `prediction` as the waiter's last state and tells its progress display.
    private func update(_ key: UUID, with prediction: Prediction) {
        let onUpdate = lock.withLock { () -> (@Sendable (Prediction) -> Void)? in
            guard waiters[key] != nil else { return nil }
            waiters[key]?.last = prediction
            return waiters[key]?.onUpdate
        }
        onUpdate?(prediction)
    }

    /// RFC 3339 with milliseconds, as the API's `created_after` takes it.
    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
