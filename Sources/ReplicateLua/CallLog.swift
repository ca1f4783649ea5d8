import Foundation
import Replicate

/// One `replicate.*` call as the call log records it.
public struct CallRecord: Sendable, Codable, Equatable {
    /// The function called (`get_model`, or a helper such as `run`).
    public var function: String
    public var access: Access
    public var decision: Decision
    /// The HTTP status of the last response, when a request was sent.
    public var status: Int?
    /// Wall time of the whole call.
    public var ms: Double
    /// The prediction or training the call created or read, if any.
    public var predictionID: String?
    /// For a failed call: its error kind (`http`, `model`, `permission`, …).
    public var error: ErrorKind?

    enum CodingKeys: String, CodingKey {
        case function, access, decision, status, ms, error
        case predictionID = "prediction_id"
    }

    init(function: String, access: Access, decision: Decision, status: Int?, ms: Double, predictionID: String?, error: ErrorKind?) {
        self.function = function
        self.access = access
        self.decision = decision
        self.status = status
        self.ms = ms
        self.predictionID = predictionID
        self.error = error
    }

    /// Reads a record back (the MCP server reads its child's). A word this build does not know
    /// (another build's output) does not make the record unreadable: it reads as the cautious
    /// case — `write`, `denied`, and for an error kind `runtime`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        function = try c.decode(String.self, forKey: .function)
        access = Access(rawValue: try c.decode(String.self, forKey: .access)) ?? .write
        decision = Decision(rawValue: try c.decode(String.self, forKey: .decision)) ?? .denied
        status = try c.decodeIfPresent(Int.self, forKey: .status)
        ms = try c.decode(Double.self, forKey: .ms)
        predictionID = try c.decodeIfPresent(String.self, forKey: .predictionID)
        error = try c.decodeIfPresent(String.self, forKey: .error).map(ErrorKind.init(reading:))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(function, forKey: .function)
        try c.encode(access.rawValue, forKey: .access)
        try c.encode(decision.rawValue, forKey: .decision)
        try c.encodeIfPresent(status, forKey: .status)
        try c.encode(ms, forKey: .ms)
        try c.encodeIfPresent(predictionID, forKey: .predictionID)
        try c.encodeIfPresent(error?.rawValue, forKey: .error)
    }

    /// The record on one line, as `--trace` prints it.
    public var traceLine: String {
        var line = "kosmo-lua: trace: replicate.\(function) \(access.rawValue) \(decision.rawValue)"
        if let status { line += " → \(status)" }
        if let error { line += " (\(error.rawValue) error)" }
        line += String(format: " in %.0f ms", ms)
        if let predictionID { line += " [\(predictionID)]" }
        return line
    }
}

/// A finished call with when it ran by the wall clock, as `observe` hands it on (`--log` writes it).
public struct TimedCall: Sendable {
    public let record: CallRecord
    /// When the call started: its end less its `ms`.
    public let started: Date
    /// When the call was recorded, just after it ended.
    public let ended: Date
}

/// Every call of a run, in the order they finished. Calls finish on any thread.
public final class CallLog: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [CallRecord] = []
    private var observers: [@Sendable (TimedCall) -> Void] = []
    /// Where `--trace` lines go as calls finish (nil: nowhere).
    let trace: (@Sendable (String) -> Void)?

    public init(trace: (@Sendable (String) -> Void)? = nil) {
        self.trace = trace
    }

    func append(_ record: CallRecord) {
        let ended = Date()
        lock.lock()
        entries.append(record)
        let observers = self.observers
        lock.unlock()
        trace?(record.traceLine)
        guard !observers.isEmpty else { return }
        let call = TimedCall(record: record, started: ended.addingTimeInterval(-record.ms / 1000), ended: ended)
        for observer in observers { observer(call) }
    }

    /// Calls `observer` with every call recorded from now on, with its wall-clock start and end,
    /// on the thread that finished the call (so it must be quick and lock what it shares).
    public func observe(_ observer: @escaping @Sendable (TimedCall) -> Void) {
        lock.lock()
        observers.append(observer)
        lock.unlock()
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
