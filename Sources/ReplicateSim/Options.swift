import Foundation

/// How a ``Simulator`` listens and behaves.
public struct SimulatorOptions: Sendable {
    /// Interface to bind; loopback by default.
    public var host: String = "127.0.0.1"
    /// Port to bind; 0 picks a free one (read it back from ``Simulator/baseURL``).
    public var port: Int = 0
    /// nil: any non-empty bearer token is accepted; set: exactly this token.
    public var token: String? = nil
    /// Model timing multiplier: 2 runs every toy model twice as fast.
    public var speed: Double = 1
    /// Injected faults, e.g. `FaultSpec(parsing: "429:0.1,503:0.05,reset:0.02,latency:20ms,malformed:0.01")`.
    public var faults: FaultSpec = .none
    /// Seed for fault injection, so a run with the same requests fails the same way.
    public var seed: UInt64 = 0
    /// Items per page on every paginated list.
    public var pageSize: Int = 100
    /// Prediction/training creates allowed per minute; 0 disables the limit.
    public var createsPerMinute: Int = 600
    /// All other `/v1` requests allowed per minute; 0 disables the limit.
    public var otherRequestsPerMinute: Int = 3000
    /// Seconds the per-minute limits count over: 60, like the service; shorter for quick tests.
    public var rateWindow: TimeInterval = 60
    /// How the limits are counted: fixed one-minute windows, or the last minute at any moment.
    public var rateLimitModel: RateLimitModel = .fixed
    /// Seconds after a prediction or training finishes before its data is deleted, as the
    /// service does after an hour for predictions made through the API: its `input`, `output`
    /// and `logs` are emptied, `data_removed` becomes true and its output files answer 404.
    /// nil keeps everything.
    public var expireAfter: TimeInterval? = nil
    /// Most request-log entries kept (oldest dropped first), so long benchmarks stay bounded.
    public var requestLogLimit: Int = 100_000

    public init() {}
}
