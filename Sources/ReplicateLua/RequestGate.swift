import Foundation

/// At most `limit` requests in flight at once (the sandbox's limit); later ones wait their turn.
/// A lock rather than an actor: a request sent in place takes its slot without a task.
final class RequestGate: @unchecked Sendable {
    // Guards `inFlight` and `waiting`; never held across a wait.
    private let lock = NSLock()
    private let limit: Int
    private var inFlight = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(limit: Int) { self.limit = max(1, limit) }

    /// Takes a slot, waiting for one when all are taken.
    func acquire() async {
        if tryAcquire() { return }
        await withCheckedContinuation { continuation in
            lock.lock()
            if inFlight < limit {
                inFlight += 1
                lock.unlock()
                continuation.resume()
            } else {
                waiting.append(continuation)
                lock.unlock()
            }
        }
    }

    /// Takes a slot if one is free.
    func tryAcquire() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard inFlight < limit else { return false }
        inFlight += 1
        return true
    }

    /// Gives a slot back, to the longest waiter if any (its slot passes on, `inFlight` unchanged).
    func release() {
        lock.lock()
        if waiting.isEmpty {
            inFlight -= 1
            lock.unlock()
        } else {
            let next = waiting.removeFirst()
            lock.unlock()
            next.resume()
        }
    }
}
