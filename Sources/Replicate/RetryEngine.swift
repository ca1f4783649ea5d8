import Foundation
import Logging

/// Which failures are worth another attempt, and how long to wait.
enum RetryPolicy {
    /// Methods that are safe to repeat: the server state is the same whether they ran once or twice.
    static func isIdempotent(_ method: String) -> Bool {
        ["GET", "HEAD", "DELETE", "QUERY", "OPTIONS"].contains(method.uppercased())
    }

    /// A 429 or a 503 means the request was refused before it ran (RFC 9110 §15.5.30 and
    /// §15.6.4: the server "is currently unable to handle the request"), so any method may repeat
    /// it. Other server errors only for idempotent methods: a POST that got a 500, 502 or 504 may
    /// have created a prediction already.
    static func shouldRetry(method: String, status: Int) -> Bool {
        if isRefusal(status) { return true }
        return isIdempotent(method) && (500...599).contains(status)
    }

    /// Statuses that say the server did not run the request and asks to come back later.
    static func isRefusal(_ status: Int) -> Bool { status == 429 || status == 503 }

    /// Exponential backoff with "equal jitter": half fixed, half random, capped.
    static func backoff(attempt: Int, base: TimeInterval, cap: TimeInterval) -> TimeInterval {
        let exp = min(cap, base * pow(2, Double(attempt)))
        // A cap of infinity (or a negative base) from a caller's configuration must not reach
        // `Double.random(in:)`, which traps on a range that is not finite.
        guard exp.isFinite, exp > 0 else { return exp.isFinite ? 0 : cap }
        return exp / 2 + Double.random(in: 0...(exp / 2))
    }

    /// `Retry-After` as delta-seconds or an HTTP date; nil when absent or unreadable.
    static func parseRetryAfter(_ value: String, now: Date) -> TimeInterval? {
        let v = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(v), seconds >= 0, seconds.isFinite { return seconds }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: v) { return max(0, date.timeIntervalSince(now)) }
        }
        return nil
    }
}

/// The limits one `RetryEngine` works within. Requests (`send`, `sendInPlace`, downloads) all
/// take theirs from the client's configuration; an event stream from its `StreamOptions`.
struct RetryRules: Sendable {
    /// Retries after a failure that more likely means the server is down: no answer at all, or
    /// a 5xx other than 503 (idempotent requests only).
    var maxFailures: Int
    /// Retries after a refusal (429, 503), counted apart from failures; nil counts refusals as
    /// failures, in one budget (a stream's reconnections).
    var maxRefusals: Int?
    /// The first wait; when `growing`, it doubles each retry ("equal jitter", capped at `maxDelay`).
    var baseDelay: TimeInterval
    /// Whether the waits grow (requests) or stay at `baseDelay` (a stream, which reconnects at the
    /// pace its server set).
    var growing: Bool
    /// Upper bound on any wait the server asks for (`Retry-After`, an event stream's `retry:`)
    /// and on the backoff.
    var maxDelay: TimeInterval
    /// Whether a timeout is worth another attempt: not for a request (the server may still be
    /// working on it, and a second attempt doubles the caller's wait), but for a stream, where a
    /// reconnection resumes after the last event.
    var retriesTimeouts: Bool

    /// The rules of every request the client sends: refusals and failures apart, backoff from
    /// `retryBaseDelay`, everything capped at `maxRetryDelay`.
    static func requests(_ configuration: ReplicateConfiguration) -> RetryRules {
        RetryRules(maxFailures: configuration.maxRetries, maxRefusals: configuration.maxRefusedRetries,
                   baseDelay: configuration.retryBaseDelay, growing: true, maxDelay: configuration.maxRetryDelay,
                   retriesTimeouts: false)
    }

    /// The rules of an event stream: `maxReconnects` in a row whatever ended each connection,
    /// `reconnectDelay` between them unless the server asked for another wait, capped at
    /// `maxReconnectDelay`.
    static func stream(_ options: StreamOptions) -> RetryRules {
        RetryRules(maxFailures: max(0, options.maxReconnects), maxRefusals: nil, baseDelay: options.reconnectDelay,
                   growing: false, maxDelay: options.maxReconnectDelay, retriesTimeouts: true)
    }
}

/// What a `RetryEngine` says after an attempt.
enum RetryVerdict: Equatable {
    /// Try again after this many seconds.
    case retry(after: TimeInterval)
    /// The outcome stands: repeating the attempt would not change it, or is not safe.
    case final
    /// Worth another attempt, but the budget is spent.
    case spent
}

/// The one place that decides whether an attempt is repeated and after how long, for every
/// loop that sends: `Transport.send` (AsyncHTTPClient), `Transport.sendInPlace` (libcurl),
/// `ReplicateClient.download` and an event stream's reconnection. Each loop sends its own
/// attempts and does its own waiting (a stop check, a resume from `Last-Event-ID`); it asks the
/// engine after every attempt. One engine lives for one call: its budget is that call's.
struct RetryEngine {
    let rules: RetryRules
    let method: String
    /// Where the attempts go (named in debug logs); a download moves it on at each redirect.
    var url: URL
    let logger: Logger
    // `attempt` drives the backoff; the two budgets are apart because a refusal (429, 503) is the
    // server asking to come back, which a busy service does often, while a connection failure
    // or a 5xx more likely means it is down, where a user wants the error soon.
    private var attempt = 0
    private var refusals = 0
    private var failures = 0

    init(_ rules: RetryRules, method: String, url: URL, logger: Logger) {
        self.rules = rules
        self.method = method
        self.url = url
        self.logger = logger
    }

    /// The engine for `exchange`, under the client's request rules.
    init(for exchange: HTTPExchange, configuration: ReplicateConfiguration) {
        self.init(.requests(configuration), method: exchange.method, url: exchange.url, logger: configuration.logger)
    }

    private var target: String { "\(method) \(url.path)" }

    /// After an answer with `status` (and its `Retry-After`, if any). `serverDelay` is a wait
    /// the server asked for ahead of time (an event stream's `retry:` field); `Retry-After`
    /// wins over it, and both over the backoff.
    mutating func verdict(status: Int, retryAfter: String?, serverDelay: TimeInterval? = nil) -> RetryVerdict {
        guard RetryPolicy.shouldRetry(method: method, status: status) else { return .final }
        guard spend(refusal: RetryPolicy.isRefusal(status)) else { return .spent }
        let delay = wait(retryAfter: retryAfter, serverDelay: serverDelay)
        logger.debug("retrying \(target) after \(status) in \(delay) s")
        return .retry(after: delay)
    }

    /// After an attempt that got no answer. Only a connection failure is repeated (and a timeout
    /// where the rules say so), and only for an idempotent method: see `surfaced(_:)`.
    mutating func verdict(failure: ReplicateError, serverDelay: TimeInterval? = nil) -> RetryVerdict {
        logger.debug("\(target) failed: \(failure.message)")
        let worthRepeating = failure.kind == .network || (rules.retriesTimeouts && failure.kind == .timeout)
        guard worthRepeating, RetryPolicy.isIdempotent(method) else { return .final }
        guard spend(refusal: false) else { return .spent }
        return .retry(after: wait(retryAfter: nil, serverDelay: serverDelay))
    }

    /// The error a caller sees for a `failure` that is not repeated. Only a connection that
    /// never carried the request may be retried for a POST or PATCH; we cannot tell that apart
    /// reliably, so those are never retried: the server may have run it (a create whose answer
    /// was lost), and Replicate's API has no idempotency key that would make a second attempt
    /// safe. The message says so, so a caller knows to look before creating again.
    func surfaced(_ failure: ReplicateError) -> ReplicateError {
        guard failure.kind == .network, !RetryPolicy.isIdempotent(method) else { return failure }
        var unsure = failure
        unsure.message += " (not retried: the server may have carried out this \(method.uppercased()) before the connection failed)"
        return unsure
    }

    /// An attempt made progress (a stream delivered an event): the budget starts again.
    mutating func progressed() {
        attempt = 0
        refusals = 0
        failures = 0
    }

    /// `verdict(status:)` for a whole response that was sent at `started`: the wait before
    /// another attempt, or nil when the response is the answer.
    mutating func delay(after response: RawResponse, started: Date) -> TimeInterval? {
        let ms = Int(min(max(0, Date().timeIntervalSince(started)), 1e9) * 1000)
        logger.debug("\(target) -> \(response.status) in \(ms) ms")
        if case .retry(let delay) = verdict(status: response.status, retryAfter: response.header("Retry-After")) { return delay }
        return nil
    }

    /// `verdict(failure:)` for a request: the wait before another attempt, or throws the error
    /// the caller should see.
    mutating func delay(after failure: ReplicateError) throws -> TimeInterval {
        if case .retry(let delay) = verdict(failure: failure) { return delay }
        throw surfaced(failure)
    }

    /// Waits `seconds` between attempts in a task; throws `CancellationError` when it is cancelled.
    static func pause(_ seconds: TimeInterval) async throws {
        try await Task.sleep(nanoseconds: nanoseconds(seconds))
    }

    /// `seconds` as nanoseconds for a sleep, clamped: a wait from a server or a configuration
    /// is never converted unchecked.
    static func nanoseconds(_ seconds: TimeInterval) -> UInt64 {
        guard seconds.isFinite else { return seconds > 0 ? UInt64(Int64.max) : 0 }
        return UInt64(min(max(0, seconds), 9e9) * 1e9)
    }

    /// Counts one retry against its budget; false when that budget is spent.
    private mutating func spend(refusal: Bool) -> Bool {
        if refusal, let maxRefusals = rules.maxRefusals {
            guard refusals < maxRefusals else { return false }
            refusals += 1
        } else {
            guard failures < rules.maxFailures else { return false }
            failures += 1
        }
        return true
    }

    /// The wait before the next attempt: the server's `Retry-After`, else the wait it asked for
    /// ahead of time, else the backoff; each capped at `maxDelay`.
    private mutating func wait(retryAfter: String?, serverDelay: TimeInterval?) -> TimeInterval {
        defer { attempt += 1 }
        if let retryAfter, let seconds = RetryPolicy.parseRetryAfter(retryAfter, now: Date()) {
            return min(seconds, rules.maxDelay)
        }
        if let serverDelay { return min(max(0, serverDelay), rules.maxDelay) }
        guard rules.growing else { return rules.baseDelay }
        return RetryPolicy.backoff(attempt: attempt, base: rules.baseDelay, cap: rules.maxDelay)
    }
}
