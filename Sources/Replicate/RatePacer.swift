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
/// back one window after its request went out (`sent`; until that is known, after the turn was
/// taken). That is a token bucket whose tokens refill one by one, a
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

    /// A turn taken: which place of its class's ring it holds, and the how-manyth turn it is.
    struct Ticket: Sendable {
        let rateClass: RateClass
        let slot: Int
        let sequence: Int
    }

    private struct Budget {
        let limit: Int
        /// How long after it was taken a turn comes back: the window and the margin.
        let span: TimeInterval
        /// The time of each of the last `limit` turns, as a ring (grown up to `limit`), oldest at
        /// `head`: when the turn was taken, moved on to when its request went out once known.
        var turns: [Double] = []
        /// Which turn (by `next`) holds each place of the ring.
        var owners: [Int] = []
        var head = 0
        var next = 0
        /// No turn before this (a refusal's `Retry-After`).
        var heldUntil: Double = 0

        /// The next turn at or after `now`, taken: its time and ticket.
        mutating func take(now: Double, _ rateClass: RateClass) -> (Double, Ticket) {
            defer { next += 1 }
            var at = max(now, heldUntil)
            guard limit > 0 else { return (at, Ticket(rateClass: rateClass, slot: -1, sequence: next)) }
            if turns.count < limit {
                turns.append(at)
                owners.append(next)
                return (at, Ticket(rateClass: rateClass, slot: turns.count - 1, sequence: next))
            }
            at = max(at, turns[head] + span)
            let slot = head
            turns[slot] = at
            owners[slot] = next
            head = (head + 1) % limit
            return (at, Ticket(rateClass: rateClass, slot: slot, sequence: next))
        }

        /// The time `ticket`'s turn comes now (later than when taken, if the turn before it in
        /// its place went out late); 0 once its place belongs to a later turn.
        func time(of ticket: Ticket) -> Double {
            guard ticket.slot >= 0, ticket.slot < owners.count, owners[ticket.slot] == ticket.sequence else { return 0 }
            return turns[ticket.slot]
        }

        /// `ticket`'s request went out at `at`: the turn that comes back in its place comes a
        /// window after that, not after when the turn was taken.
        mutating func sent(_ ticket: Ticket, at: Double) {
            guard ticket.slot >= 0, ticket.slot < owners.count else { return }
            if owners[ticket.slot] == ticket.sequence {
                turns[ticket.slot] = max(turns[ticket.slot], at)
            } else {
                // A later turn has this place already and waits for it: it comes no sooner than
                // a window after this one went out.
                turns[ticket.slot] = max(turns[ticket.slot], at + span)
            }
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

    /// Takes the next turn of `rateClass`: its ticket, and how long to wait for it (0: now).
    func reserve(_ rateClass: RateClass) -> (Ticket, TimeInterval) {
        let now = Self.now()
        let (at, ticket) = lock.withLock { rateClass == .create ? creates.take(now: now, rateClass) : others.take(now: now, rateClass) }
        return (ticket, max(0, at - now))
    }

    /// How long `ticket` still waits for its turn, which a late request before it can move on.
    private func left(_ ticket: Ticket) -> TimeInterval {
        let at = lock.withLock { ticket.rateClass == .create ? creates.time(of: ticket) : others.time(of: ticket) }
        return max(0, at - Self.now())
    }

    /// How long every request of `rateClass` is still held back by a refusal (0: not at all).
    func heldFor(_ rateClass: RateClass) -> TimeInterval {
        let until = lock.withLock { rateClass == .create ? creates.heldUntil : others.heldUntil }
        return max(0, until - Self.now())
    }

    /// The request of `ticket` went out now (its body began to be written, or its answer came):
    /// the window its turn counts in starts here. A request queued for a connection goes out
    /// later than its turn, and a server counts it when it arrives.
    func sent(_ ticket: Ticket) {
        let now = Self.now()
        lock.withLock {
            if ticket.rateClass == .create { creates.sent(ticket, at: now) } else { others.sent(ticket, at: now) }
        }
    }

    /// The server refused a request of `rateClass` and asked to come back in `seconds`: no
    /// request of that class goes out before then, from any task. A class sent unpaced (a
    /// limit of 0) is not held: each request waits for its own retry.
    func refused(_ rateClass: RateClass, retryAfter seconds: TimeInterval) {
        guard limits.limit(rateClass) > 0 else { return }
        let until = Self.now() + min(max(0, seconds), 3600)
        lock.withLock {
            if rateClass == .create { creates.heldUntil = max(creates.heldUntil, until) } else { others.heldUntil = max(others.heldUntil, until) }
        }
    }

    /// Waits in a task for a turn of `rateClass` and returns its ticket. A refusal noted while
    /// it slept sends it back for a turn after the hold, so no task goes out early because it
    /// queued before the 429.
    func admit(_ rateClass: RateClass) async throws -> Ticket {
        while true {
            let (ticket, wait) = reserve(rateClass)
            if wait > 0 { try await RetryEngine.pause(wait) }
            var later = left(ticket)
            while later > 0 {
                try await RetryEngine.pause(later)
                later = left(ticket)
            }
            let held = heldFor(rateClass)
            guard held > 0 else { return ticket }
            try await RetryEngine.pause(held)
        }
    }

    /// `admit` on the calling thread (a request sent in place), sleeping through `stop`.
    func admit(_ rateClass: RateClass, stop: StopCheck) throws -> Ticket {
        while true {
            let (ticket, wait) = reserve(rateClass)
            if wait > 0 { try stop.sleep(wait) }
            var later = left(ticket)
            while later > 0 {
                try stop.sleep(later)
                later = left(ticket)
            }
            let held = heldFor(rateClass)
            guard held > 0 else { return ticket }
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
