import Foundation
import NIOConcurrencyHelpers

/// One request as the simulator saw it; served at `GET /_sim/requests`.
public struct SimRequestRecord: Sendable, Codable, Equatable {
    /// HTTP method, e.g. `GET` or `QUERY`.
    public var method: String
    /// Path without the query, e.g. `/v1/predictions/abc`.
    public var path: String
    /// Raw query string without `?` (empty when none).
    public var query: String
    /// Status code sent. With `fault == "reset"` the request was carried out and this head went
    /// out, but the connection was cut before the body ended.
    public var status: Int
    /// When the request arrived (seconds since 1970).
    public var time: Double
    /// Whether an `Authorization: Bearer` header was present (the token itself is never logged).
    public var authenticated: Bool
    /// The injected fault, if any: `429`, `503`, `reset`, `malformed`, `cut` (a create carried
    /// out, its answer held back and then cut).
    public var fault: String?
    /// Request body size in bytes.
    public var bodyBytes: Int
    /// `Prefer` header, if any.
    public var prefer: String?
}

final class RequestLog: Sendable {
    private let records = NIOLockedValueBox<[SimRequestRecord]>([])
    let limit: Int

    init(limit: Int) { self.limit = max(1, limit) }

    func append(_ r: SimRequestRecord) {
        records.withLockedValue { a in
            a.append(r)
            // Drop the oldest half at once: amortised O(1) and keeps memory bounded.
            if a.count > limit { a.removeFirst(a.count - limit / 2) }
        }
    }

    func all() -> [SimRequestRecord] { records.withLockedValue { $0 } }
    func clear() { records.withLockedValue { $0.removeAll() } }
}
