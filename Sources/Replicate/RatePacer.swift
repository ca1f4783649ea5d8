import Foundation

/// The two request classes Replicate limits apart: prediction and training creates, and every
/// other API request.
public enum RateClass: Sendable, Hashable {
    /// `POST` of a prediction or a training (`OperationSpec.creates`).
    case create
    /// Any other request to the API (polls, lists, model lookups, cancels, uploads).
    case other
}

/// How many requests of each class a client sends a minute at most.
public struct RateLimits: Sendable, Equatable {
    /// Creates a window; 0 sends them unpaced.
    public var createsPerMinute: Int
    /// Other API requests a window; 0 sends them unpaced.
    public var requestsPerMinute: Int
    /// The window the limits count over, in seconds: the service's minute, unless a server
    /// (a simulator started with `--rate-window`) counts another.
    public var window: TimeInterval

    public init(createsPerMinute: Int, requestsPerMinute: Int, window: TimeInterval = 60) {
        self.createsPerMinute = max(0, createsPerMinute)
        self.requestsPerMinute = max(0, requestsPerMinute)
        self.window = window.isFinite ? min(max(window, 0.1), 86_400) : 60
    }

    /// The service's documented limits: 600 creates and 3,000 other requests a minute.
    public static let service = RateLimits(createsPerMinute: 600, requestsPerMinute: 3000)
    /// No pacing at all.
    public static let unpaced = RateLimits(createsPerMinute: 0, requestsPerMinute: 0)

    func limit(_ rateClass: RateClass) -> Int {
        rateClass == .create ? createsPerMinute : requestsPerMinute
    }
}

/// One view of the rate limits for every request a client sends, from every task: each attempt
/// takes a turn here before it goes out (`Transport.send`, `sendInPlace`, the download loop), and
/// a refusal (429) holds back every request of its class until the time the server named.
///
/// Each class is a budget of `limit` turns a window (a minute, plus `margin`): a turn spent comes
/// back one window after it was taken. That is a token bucket whose tokens refill one by one, a
/// window after use, rather than at a steady rate: a bucket that both starts full and refills at
/// limit/60 a second lets nearly twice the limit through in the first minute, which a server
/// counting fixed windows (as the simulator does by default) answers with 429s. With turns
/// coming back a window after use, no window of that length ever holds more than `limit` turns,
/// which both a fixed and a sliding window on the server accept.
///
/// Turns are handed out in order: a request that must wait is given the first free turn and
/// sleeps until it, so thousands of waiting tasks neither spin nor wake together. Memory is one
/// timestamp per turn of the window, shared by all tasks, not per request.
final class RatePacer: @unchecked Sendable {
    /// Slack on top of the minute: a request reaches the server a little after its turn, and
    /// the server's clock and ours differ by that much.
    static let margin: TimeInterval = 0.5

    private struct Budget {
        let limit: Int
        /// How long after it was taken a turn comes back: the window and the margin.
        let span: TimeInterval
        /// When the last `limit` turns were taken, as a ring (grown up to `limit`), oldest at `head`.
        var turns: [Double] = []
        var head = 0
        /// No turn before this (a refusal's `Retry-After`).
        var heldUntil: Double = 0

        /// The time of the next turn at or after `now`, taken.
        mutating func take(now: Double) -> Double {
            guard limit > 0 else { return max(now, heldUntil) }
            var at = max(now, heldUntil)
            if turns.count < limit {
                turns.append(at)
                return at
            }
            at = max(at, turns[head] + span)
            turns[head] = at
            head = (head + 1) % limit
            return at
        }
    }

    // Guards both budgets; held only to take a turn or note a refusal.
    private let lock = NSLock()
    private var creates: Budget
    private var others: Budget
    let limits: RateLimits

    init(_ limits: RateLimits) {
        self.limits = limits
        creates = Budget(limit: limits.createsPerMinute, span: limits.window + Self.margin)
        others = Budget(limit: limits.requestsPerMinute, span: limits.window + Self.margin)
    }

    /// Seconds on a monotonic clock.
    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    /// Takes the next turn of `rateClass` and returns how long to wait for it (0: now).
    func reserve(_ rateClass: RateClass) -> TimeInterval {
        let now = Self.now()
        let at = lock.withLock { rateClass == .create ? creates.take(now: now) : others.take(now: now) }
        return max(0, at - now)
    }

    /// How long every request of `rateClass` is still held back by a refusal (0: not at all).
    func heldFor(_ rateClass: RateClass) -> TimeInterval {
        let until = lock.withLock { rateClass == .create ? creates.heldUntil : others.heldUntil }
        return max(0, until - Self.now())
    }

    /// The server refused a request of `rateClass` and asked to come back in `seconds`: no
    /// request of that class goes out before then, from any task.
    /// A class sent unpaced (a limit of 0) is not held: each request waits for its own retry.
    func refused(_ rateClass: RateClass, retryAfter seconds: TimeInterval) {
        guard limits.limit(rateClass) > 0 else { return }
        let until = Self.now() + min(max(0, seconds), 3600)
        lock.withLock {
            if rateClass == .create { creates.heldUntil = max(creates.heldUntil, until) } else { others.heldUntil = max(others.heldUntil, until) }
        }
    }

    /// Waits in a task for a turn of `rateClass`. A refusal noted while it slept sends it back
    /// for a turn after the hold, so no task goes out early because it queued before the 429.
    func admit(_ rateClass: RateClass) async throws {
        while true {
            let wait = reserve(rateClass)
            if wait > 0 { try await RetryEngine.pause(wait) }
            let held = heldFor(rateClass)
            guard held > 0 else { return }
            try await RetryEngine.pause(held)
        }
    }

    /// `admit` on the calling thread (a request sent in place), sleeping through `stop`.
    func admit(_ rateClass: RateClass, stop: StopCheck) throws {
        while true {
            let wait = reserve(rateClass)
            if wait > 0 { try stop.sleep(wait) }
            let held = heldFor(rateClass)
            guard held > 0 else { return }
            try stop.sleep(held)
        }
    }
}

/// The pacers of a process, one per API base, token and limits: every client of one account and
/// service shares one view of its limits, however many clients a run makes.
final class PacerCache: @unchecked Sendable {
    static let shared = PacerCache()
    // Guards `pacers`; held only to look up or insert.
    private let lock = NSLock()
    private var pacers: [String: RatePacer] = [:]

    func pacer(for configuration: ReplicateConfiguration) -> RatePacer {
        let limits = configuration.rateLimits
        let key = "\(configuration.baseURL.absoluteString)\n\(configuration.token ?? "")\n\(limits.createsPerMinute)/\(limits.requestsPerMinute)/\(limits.window)"
        return lock.withLock {
            if let pacer = pacers[key] { return pacer }
            let pacer = RatePacer(limits)
            pacers[key] = pacer
            return pacer
        }
    }
}
