import Foundation

/// One `replicate.*` call as the call log records it.
public struct CallRecord: Sendable, Codable, Equatable {
    /// The function called (`get_model`, or a helper such as `run`).
    public var function: String
    /// `read` or `write`.
    public var access: String
    /// `allowed`, `approved` (asked, and yes), `forced` (`--force`) or `denied`.
    public var decision: String
    /// The HTTP status of the last response, when a request was sent.
    public var status: Int?
    /// Wall time of the whole call.
    public var ms: Double
    /// The prediction or training the call created or read, if any.
    public var predictionID: String?
    /// For a failed call: its error kind (`http`, `model`, `permission`, …).
    public var error: String?

    enum CodingKeys: String, CodingKey {
        case function, access, decision, status, ms, error
        case predictionID = "prediction_id"
    }

    /// The record on one line, as `--trace` prints it.
    public var traceLine: String {
        var line = "kosmo-lua: trace: replicate.\(function) \(access) \(decision)"
        if let status { line += " → \(status)" }
        if let error { line += " (\(error) error)" }
        line += String(format: " in %.0f ms", ms)
        if let predictionID { line += " [\(predictionID)]" }
        return line
    }
}

/// Every call of a run, in the order they finished. Calls finish on any thread.
public final class CallLog: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [CallRecord] = []
    /// Where `--trace` lines go as calls finish (nil: nowhere).
    let trace: (@Sendable (String) -> Void)?

    public init(trace: (@Sendable (String) -> Void)? = nil) {
        self.trace = trace
    }

    func append(_ record: CallRecord) {
        lock.lock()
        entries.append(record)
        lock.unlock()
        trace?(record.traceLine)
    }

    /// The calls so far.
    public var records: [CallRecord] {
        lock.lock()
        defer { lock.unlock() }
        return entries
    }

    /// Forgets the calls so far (between REPL lines or `exec` runs that share a host).
    public func reset() {
        lock.lock()
        entries.removeAll()
        lock.unlock()
    }
}
