import Foundation
import NIOConcurrencyHelpers

/// How the simulator counts requests against its per-minute limits.
public enum RateLimitModel: String, Sendable, CaseIterable {
    /// One-minute windows that start at the first request and reset a minute later; every
    /// request in a window counts, a refused one too.
    case fixed
    /// The last minute at any moment: a request is refused while the minute before it already
    /// holds the limit's worth of accepted requests, and the wait it is given is until the
    /// oldest of those leaves the minute.
    case sliding
}

/// The documented limits per token and class (creates vs everything else): 600 prediction
/// creates and 3000 other requests per minute, counted as `model` says.
final class RateLimiter: Sendable {
    struct Window { var start: Date; var count: Int }
    private let windows = NIOLockedValueBox<[String: Window]>([:])
    /// The sliding model's accepted requests of the last minute per key, oldest first.
    private let recent = NIOLockedValueBox<[String: SlidingLog]>([:])
    let createsPerMinute: Int
    let otherPerMinute: Int
    let model: RateLimitModel
    /// The window the limits count over: a minute, unless a test wants a shorter one.
    let window: TimeInterval

    init(createsPerMinute: Int, otherPerMinute: Int, model: RateLimitModel = .fixed, window: TimeInterval = 60) {
        self.createsPerMinute = createsPerMinute
        self.otherPerMinute = otherPerMinute
        self.model = model
        self.window = window
    }

    /// nil when allowed, else seconds until a request would be allowed again.
    func check(token: String, isCreate: Bool, now: Date = Date()) -> Int? {
        let limit = isCreate ? createsPerMinute : otherPerMinute
        if limit <= 0 { return nil }
        let key = (isCreate ? "c:" : "o:") + token
        switch model {
        case .fixed:
            return windows.withLockedValue { w -> Int? in
                var win = w[key] ?? Window(start: now, count: 0)
                if now.timeIntervalSince(win.start) >= window { win = Window(start: now, count: 0) }
                win.count += 1
                w[key] = win
                if win.count > limit {
                    return max(1, Int((window - now.timeIntervalSince(win.start)).rounded(.up)))
                }
                return nil
            }
        case .sliding:
            let t = now.timeIntervalSince1970
            return recent.withLockedValue { logs -> Int? in
                var log = logs[key] ?? SlidingLog()
                defer { logs[key] = log }
                log.drop(before: t - window)
                if log.count >= limit, let oldest = log.oldest {
                    return max(1, Int((oldest + window - t).rounded(.up)))
                }
                log.append(t)
                return nil
            }
        }
    }
}

/// Times of accepted requests within the last minute, oldest first: a queue whose front moves
/// on as times leave the minute (compacted now and then, so it stays at most twice the limit).
struct SlidingLog: Sendable {
    private var times: [Double] = []
    private var front = 0

    var count: Int { times.count - front }
    var oldest: Double? { front < times.count ? times[front] : nil }

    mutating func append(_ t: Double) { times.append(t) }

    mutating func drop(before cutoff: Double) {
        while front < times.count, times[front] <= cutoff { front += 1 }
        if front > 1024, front * 2 > times.count {
            times.removeFirst(front)
            front = 0
        }
    }
}
