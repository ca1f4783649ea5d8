import Dispatch
import Foundation

/// When the server ends a child execution that outlived its limit. Held while the child waits
/// for a person to answer an approval: the child does not count that time toward its own time
/// limit, so the server must not either, or a slow answer would kill a run that was within it.
final class HardDeadline: @unchecked Sendable {
    // Guards `left` and `end`.
    private let lock = NSLock()
    private let timer: DispatchSourceTimer
    /// Nanoseconds that were left when the clock was held; nil while it runs.
    private var left: UInt64?
    private var end: DispatchTime

    /// Starts counting `seconds`; `expire` runs on `queue` when they pass.
    init(seconds: Double, queue: DispatchQueue, expire: @escaping @Sendable () -> Void) {
        end = .now() + seconds
        timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: end)
        timer.setEventHandler(handler: expire)
        timer.resume()
    }

    /// Stops the clock until `release`.
    func hold() {
        lock.lock()
        defer { lock.unlock() }
        guard left == nil else { return }
        let now = DispatchTime.now()
        left = end > now ? end.uptimeNanoseconds - now.uptimeNanoseconds : 0
        timer.schedule(deadline: .distantFuture)
    }

    /// Starts the clock again with the time that was left when it was held.
    func release() {
        lock.lock()
        defer { lock.unlock() }
        guard let left else { return }
        self.left = nil
        end = .now() + .nanoseconds(Int(clamping: left))
        timer.schedule(deadline: end)
    }

    /// Stops the timer for good (the child ended).
    func cancel() {
        timer.cancel()
    }
}
