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
    /// Wall time of the whole call (for a call still in flight at the end, until then).
    public var ms: Double
    /// The prediction or training the call created or read, if any.
    public var predictionID: String?
    /// For a failed call: its error kind (`http`, `model`, `permission`, …).
    public var error: ErrorKind?
    /// The prediction's or training's status as last seen: after the call, or after the run's
    /// end settled it (`canceledAtEnd`).
    public var predictionStatus: String?
    /// The model it ran, when the API named it.
    public var model: String?
    /// Seconds of CPU or GPU time it used (`metrics.predict_time`), once the API reports it.
    public var predictTime: Double?
    /// The hardware it ran on, when the API reports it.
    public var hardware: String?
    /// The call had not finished when the run ended (or its caller stopped waiting), so it was
    /// stopped; what it created is settled with the rest.
    public var inFlight = false
    /// The host canceled its prediction or training because the run ended while it still ran.
    public var canceledAtEnd = false

    enum CodingKeys: String, CodingKey {
        case function, access, decision, status, ms, error, model, hardware
        case predictionID = "prediction_id"
        case predictionStatus = "prediction_status"
        case predictTime = "predict_time"
        case inFlight = "in_flight"
        case canceledAtEnd = "canceled_at_end"
    }

    init(function: String, access: Access, decision: Decision, status: Int?, ms: Double, predictionID: String?, error: ErrorKind?,
         run: RunFacts? = nil, inFlight: Bool = false) {
        self.function = function
        self.access = access
        self.decision = decision
        self.status = status
        self.ms = ms
        self.predictionID = predictionID ?? run?.id
        self.error = error
        self.inFlight = inFlight
        if let run { learn(run) }
    }

    /// Takes what `run` says about this record's prediction (its latest status, the model,
    /// the time it used).
    mutating func learn(_ run: RunFacts) {
        if predictionID == nil { predictionID = run.id }
        guard predictionID == run.id else { return }
        predictionStatus = run.status ?? predictionStatus
        model = run.model ?? model
        predictTime = run.predictTime ?? predictTime
        hardware = run.hardware ?? hardware
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
        predictionStatus = try c.decodeIfPresent(String.self, forKey: .predictionStatus)
        model = try c.decodeIfPresent(String.self, forKey: .model)
        predictTime = try c.decodeIfPresent(Double.self, forKey: .predictTime).flatMap { $0.isFinite && $0 >= 0 && $0 <= RunFacts.maxPredictTime ? $0 : nil }
        hardware = try c.decodeIfPresent(String.self, forKey: .hardware)
        inFlight = try c.decodeIfPresent(Bool.self, forKey: .inFlight) ?? false
        canceledAtEnd = try c.decodeIfPresent(Bool.self, forKey: .canceledAtEnd) ?? false
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
        try c.encodeIfPresent(predictionStatus, forKey: .predictionStatus)
        try c.encodeIfPresent(model, forKey: .model)
        try c.encodeIfPresent(predictTime, forKey: .predictTime)
        try c.encodeIfPresent(hardware, forKey: .hardware)
        if inFlight { try c.encode(true, forKey: .inFlight) }
        if canceledAtEnd { try c.encode(true, forKey: .canceledAtEnd) }
    }

    /// The record on one line, as `--trace` prints it.
    public var traceLine: String {
        var line = "kosmo-lua: trace: replicate.\(function) \(access.rawValue) \(decision.rawValue)"
        if let status { line += " → \(status)" }
        if let error { line += " (\(error.rawValue) error)" }
        if inFlight { line += " (still in flight at the end)" }
        line += String(format: " in %.0f ms", ms)
        if let predictionID { line += " [\(predictionID)\(predictionStatus.map { " " + $0 } ?? "")]" }
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

/// Every call of a run, in the order they finished, and the calls still in flight. Calls
/// finish on any thread.
///
/// When the run ends, `close` turns the calls still in flight into records (`inFlight`) and
/// takes no more: a call its end stopped is in the log once, whichever thread gets there first.
public final class CallLog: @unchecked Sendable {
    /// A call in flight, as `begin` hands it out.
    struct Ticket: Sendable, Hashable {
        fileprivate let number: Int
    }

    private let lock = NSLock()
    private var entries: [CallRecord] = []
    /// The ticket of each entry that has one, by index into `entries`.
    private var entryTickets: [Ticket: Int] = [:]
    private var inFlight: [Ticket: (record: CallRecord, started: UInt64)] = [:]
    private var nextTicket = 0
    private var closed = false
    private var observers: [@Sendable (TimedCall) -> Void] = []
    /// Where `--trace` lines go as calls finish (nil: nowhere).
    let trace: (@Sendable (String) -> Void)?

    public init(trace: (@Sendable (String) -> Void)? = nil) {
        self.trace = trace
    }

    /// Notes a call that is about to send; `append(_:for:)` records its end.
    func begin(_ call: ReplicateCall) -> Ticket {
        lock.withLock {
            nextTicket += 1
            let ticket = Ticket(number: nextTicket)
            inFlight[ticket] = (CallRecord(function: call.function, access: call.access, decision: call.decision, status: nil, ms: 0,
                                           predictionID: nil, error: nil, inFlight: true), DispatchTime.now().uptimeNanoseconds)
            return ticket
        }
    }

    /// Forgets a call that `begin` noted but that will be sent another way (in place it could
    /// not be; its task notes it again).
    func drop(_ ticket: Ticket) {
        _ = lock.withLock { inFlight.removeValue(forKey: ticket) }
    }

    /// The prediction or training the call of `ticket` created: known as soon as the create
    /// answers, so a call still in flight at the end names what it made.
    func created(_ id: String, by ticket: Ticket) {
        lock.withLock {
            if inFlight[ticket] != nil, inFlight[ticket]?.record.predictionID == nil { inFlight[ticket]?.record.predictionID = id }
            if let index = entryTickets[ticket], entries[index].predictionID == nil { entries[index].predictionID = id }
        }
    }

    func append(_ record: CallRecord, for ticket: Ticket? = nil) {
        let ended = Date()
        var record = record
        lock.lock()
        if let ticket {
            // A call no longer in flight was recorded when the log closed: the end that stopped
            // it is its story, not the error its task raised afterwards.
            guard let noted = inFlight.removeValue(forKey: ticket) else {
                lock.unlock()
                return
            }
            // What its create made, even when the call then failed without saying.
            if record.predictionID == nil { record.predictionID = noted.record.predictionID }
        }
        if let ticket { entryTickets[ticket] = entries.count }
        entries.append(record)
        let observers = self.observers
        lock.unlock()
        trace?(record.traceLine)
        guard !observers.isEmpty else { return }
        let call = TimedCall(record: record, started: ended.addingTimeInterval(-record.ms / 1000), ended: ended)
        for observer in observers { observer(call) }
    }

    /// Ends the run's log: every call still in flight becomes a record marked `inFlight` (in the
    /// order they began), and calls that finish later are not recorded. Returns how many were
    /// still in flight.
    @discardableResult
    func close() -> Int {
        lock.lock()
        guard !closed else {
            lock.unlock()
            return 0
        }
        closed = true
        let now = DispatchTime.now().uptimeNanoseconds
        let stopped = inFlight.sorted { $0.key.number < $1.key.number }
        inFlight.removeAll()
        var records: [CallRecord] = []
        for (ticket, entry) in stopped {
            var record = entry.record
            record.ms = Double(now &- entry.started) / 1e6
            entryTickets[ticket] = entries.count
            entries.append(record)
            records.append(record)
        }
        let observers = self.observers
        lock.unlock()
        for record in records {
            trace?(record.traceLine)
            let ended = Date()
            for observer in observers { observer(TimedCall(record: record, started: ended.addingTimeInterval(-record.ms / 1000), ended: ended)) }
        }
        return records.count
    }

    /// Applies what the end of the run learned about each prediction (its final status, and
    /// whether the host canceled it) to the records that name it.
    func settle(_ runs: [RunFacts], canceled: Set<String>) {
        let byID = Dictionary(runs.map { ($0.id, $0) }, uniquingKeysWith: { $0.merged(with: $1) })
        lock.withLock {
            for index in entries.indices {
                guard let id = entries[index].predictionID, let facts = byID[id] else { continue }
                entries[index].learn(facts)
                if canceled.contains(id) { entries[index].canceledAtEnd = true }
            }
        }
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

    /// Forgets the calls so far (between REPL lines or `exec` runs that share a host) and opens
    /// the log again.
    public func reset() {
        lock.lock()
        entries.removeAll()
        entryTickets.removeAll()
        inFlight.removeAll()
        closed = false
        lock.unlock()
    }
}
