import Foundation
import LuaHost
import Replicate
import ReplicateLua

/// What `kosmo-lua exec --json` prints, once, whatever happened, and what the MCP server's
/// `execute_lua` returns as structured content.
///
/// ```json
/// {"ok":true,"result":"hello x","result_truncated":false,"result_error":null,"output":"","output_truncated":false,"error":null,
///  "calls":[{"function":"run","access":"write","decision":"allowed","status":201,"ms":12.5,"prediction_id":"…",
///            "prediction_status":"succeeded","model":"sim/echo","predict_time":0.01,"in_flight":false,...}],
///  "running":[],"usage":{"predictions":1,"trainings":0,"predict_time":0.01},
///  "stats":{"ms":20.1,"peak_memory_bytes":412345,"instructions":2000},"permission_bypassed":false}
/// ```
public struct ExecEnvelope: Sendable, Equatable {
    /// Why a run failed: `kind` is an `ErrorKind` (`limit`, `permission`, `validation`, `http`,
    /// `model`, `timeout`, `network`, `runtime`, `syntax`, `interrupted`, `usage` or `config`).
    ///
    /// The message and the traceback are capped at `Failure.maxTextBytes` each, here where every
    /// failure is made, so neither `exec` nor the MCP server can be made to print an envelope as
    /// large as a script's `error(huge)` or `__tostring` (the cut is marked in the text).
    public struct Failure: Sendable, Equatable {
        public private(set) var kind: ErrorKind
        public private(set) var message: String
        public private(set) var traceback: String?

        /// Most UTF-8 bytes kept of a message or a traceback: 16 KiB.
        public static let maxTextBytes = 16 << 10

        public init(kind: ErrorKind, message: String, traceback: String? = nil) {
            self.kind = kind
            self.message = ExecEnvelope.capped(message, maxBytes: Self.maxTextBytes, what: "error messages")
            self.traceback = traceback.map { ExecEnvelope.capped($0, maxBytes: Self.maxTextBytes, what: "tracebacks") }
        }
    }

    /// `text` if it has at most `maxBytes` UTF-8 bytes; else its longest prefix within them (cut
    /// between characters, never inside one), marked with how much was cut.
    public static func capped(_ text: String, maxBytes: Int, what: String) -> String {
        let total = text.utf8.count
        guard total > maxBytes else { return text }
        var kept = 0
        var end = text.startIndex
        for index in text.unicodeScalars.indices {
            let length = UTF8.width(text.unicodeScalars[index])
            if kept + length > maxBytes { break }
            kept += length
            end = text.unicodeScalars.index(after: index)
        }
        return String(text.unicodeScalars[..<end]) + "… [\(total - kept) more bytes cut: \(what) are capped at \(maxBytes >> 10) KiB]"
    }

    /// Measurements of the run.
    public struct Stats: Sendable, Equatable {
        /// Wall time of the run, in milliseconds.
        public var ms: Double
        public var peakMemoryBytes: Int
        /// VM instructions, counted in steps of the hook interval (1,000).
        public var instructions: UInt64

        public init(ms: Double, peakMemoryBytes: Int, instructions: UInt64) {
            (self.ms, self.peakMemoryBytes, self.instructions) = (ms, peakMemoryBytes, instructions)
        }
    }

    public var ok: Bool
    /// The chunk's return value: one value as itself, several as an array, none as null.
    public var result: JSONValue
    /// The result was cut to the result limit (whole members kept, open arrays and objects closed).
    public var resultTruncated: Bool
    /// Why the snippet's return value could not be returned (NaN, infinity, a function, a
    /// cycle, a sparse array, bytes that are not UTF-8), `result` then null. The run itself
    /// succeeded: its calls and output stand, and `ok` stays true.
    public var resultError: String?
    /// What the script printed: its head and its tail when it passed the output limit.
    public var output: String
    public var outputTruncated: Bool
    public var error: Failure?
    /// Every `replicate.*` call, in the order they finished; calls still in flight when the run
    /// ended last (`in_flight`), each naming its prediction's final state.
    public var calls: [CallRecord]
    /// Predictions and trainings the run created and left running: by choice (a run that
    /// succeeded without waiting for them, or `--keep-running`), or because their state could
    /// not be read (`unknown`).
    public var running: [LeftRun]
    /// What the run's predictions and trainings used.
    public var usage: RunUsage
    public var stats: Stats
    /// Whether `--force` bypassed the read/write policy.
    public var permissionBypassed: Bool
    /// The session the snippet ran in (`execute_lua` with `session`), to pass on later calls;
    /// nil (and absent from the JSON) outside a session.
    public var session: String?

    public init(ok: Bool, result: JSONValue = .null, resultTruncated: Bool = false, resultError: String? = nil,
                output: String = "", outputTruncated: Bool = false,
                error: Failure? = nil, calls: [CallRecord] = [], running: [LeftRun] = [], usage: RunUsage = RunUsage(),
                stats: Stats = Stats(ms: 0, peakMemoryBytes: 0, instructions: 0), permissionBypassed: Bool = false,
                session: String? = nil) {
        self.ok = ok
        self.result = result
        self.resultTruncated = resultTruncated
        self.resultError = resultError.map { Self.capped($0, maxBytes: Failure.maxTextBytes, what: "error messages") }
        self.output = output
        self.outputTruncated = outputTruncated
        self.error = error
        self.calls = calls
        self.running = running
        self.usage = usage
        self.stats = stats
        self.permissionBypassed = permissionBypassed
        self.session = session
    }

    /// An envelope for a run that never started (bad usage, an unreadable file, a bad config).
    public static func failure(kind: ErrorKind, message: String) -> ExecEnvelope {
        ExecEnvelope(ok: false, error: Failure(kind: kind, message: message))
    }

    /// The chunk's results as the envelope's `result`. Throws a message when a value has no
    /// JSON form (a string that is not UTF-8, NaN or infinity).
    public static func result(from values: [LuaValue]) throws(ExecEnvelopeError) -> JSONValue {
        switch values.count {
        case 0: return .null
        case 1: return try json(values[0])
        default: return .array(try values.map { value throws(ExecEnvelopeError) in try json(value) })
        }
    }

    static func json(_ value: LuaValue) throws(ExecEnvelopeError) -> JSONValue {
        switch value {
        case .nil, .null: return .null
        case .boolean(let b): return .bool(b)
        case .integer(let i): return .int(i)
        case .number(let d):
            guard d.isFinite else { throw ExecEnvelopeError("cannot return \(d) as JSON: NaN and infinity have no JSON form") }
            return .double(d)
        case .string(let s): return .string(s)
        case .bytes(let bytes):
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw ExecEnvelopeError("cannot return a string that is not valid UTF-8 as JSON; encode binary data first (for example as hex)")
            }
            return .string(text)
        case .array(let items): return .array(try items.map { item throws(ExecEnvelopeError) in try json(item) })
        case .table(let members):
            var object: [String: JSONValue] = [:]
            for (key, member) in members { object[key] = try json(member) }
            return .object(object)
        case .json(let bytes):
            do { return try JSONValue(parsing: Data(bytes)) } catch {
                throw ExecEnvelopeError("cannot return this value as JSON: \(error)")
            }
        case .jsonValue(let value): return value
        }
    }

    // MARK: Writing

    /// The envelope as one line of JSON (no trailing newline), keys in the documented order.
    public func jsonText() -> String {
        var members: [(String, String)] = [
            ("ok", ok ? "true" : "false"),
            ("result", Self.jsonText(of: result)),
            ("result_truncated", resultTruncated ? "true" : "false"),
            ("result_error", resultError.map { Self.jsonText(of: .string($0)) } ?? "null"),
            ("output", Self.jsonText(of: .string(output))),
            ("output_truncated", outputTruncated ? "true" : "false"),
        ]
        if let error {
            members.append(("error", Self.object([
                ("kind", Self.jsonText(of: .string(error.kind.rawValue))),
                ("message", Self.jsonText(of: .string(error.message))),
                ("traceback", error.traceback.map { Self.jsonText(of: .string($0)) } ?? "null"),
            ])))
        } else {
            members.append(("error", "null"))
        }
        members.append(("calls", "[" + calls.map(Self.callText).joined(separator: ",") + "]"))
        // Only a run that created something has something to say here; the rest keep the
        // envelope as short as it was.
        if !running.isEmpty || usage != RunUsage() {
            members.append(("running", "[" + running.map(Self.runningText).joined(separator: ",") + "]"))
            members.append(("usage", Self.object([
                ("predictions", String(usage.predictions)),
                ("trainings", String(usage.trainings)),
                ("predict_time", Self.jsonText(of: .double(Self.thousandths(usage.predictTime)))),
            ])))
        }
        members.append(("stats", Self.object([
            ("ms", Self.jsonText(of: .double(Self.tenths(stats.ms)))),
            ("peak_memory_bytes", String(stats.peakMemoryBytes)),
            ("instructions", String(stats.instructions)),
        ])))
        members.append(("permission_bypassed", permissionBypassed ? "true" : "false"))
        if let session { members.append(("session", Self.jsonText(of: .string(session)))) }
        return Self.object(members)
    }

    /// A call: its seven fields always; what it learned of its prediction (status, model,
    /// predict time, hardware) when there is any, and `in_flight`, `canceled_at_end` when true,
    /// so a fan-out of reads stays as short as it was.
    static func callText(_ call: CallRecord) -> String {
        var members: [(String, String)] = [
            ("function", jsonText(of: .string(call.function))),
            ("access", jsonText(of: .string(call.access.rawValue))),
            ("decision", jsonText(of: .string(call.decision.rawValue))),
            ("status", call.status.map { String($0) } ?? "null"),
            ("ms", jsonText(of: .double(tenths(call.ms)))),
            ("prediction_id", call.predictionID.map { jsonText(of: .string($0)) } ?? "null"),
            ("error", call.error.map { jsonText(of: .string($0.rawValue)) } ?? "null"),
        ]
        if let status = call.predictionStatus { members.append(("prediction_status", jsonText(of: .string(status)))) }
        if let model = call.model { members.append(("model", jsonText(of: .string(model)))) }
        if let seconds = call.predictTime { members.append(("predict_time", jsonText(of: .double(thousandths(seconds))))) }
        if let hardware = call.hardware { members.append(("hardware", jsonText(of: .string(hardware)))) }
        if call.inFlight { members.append(("in_flight", "true")) }
        if call.canceledAtEnd { members.append(("canceled_at_end", "true")) }
        return object(members)
    }

    static func runningText(_ run: LeftRun) -> String {
        object([
            ("id", jsonText(of: .string(run.id))),
            ("kind", jsonText(of: .string(run.kind))),
            ("status", jsonText(of: .string(run.status))),
        ])
    }

    /// Seconds to the millisecond, as predict time is shown.
    static func thousandths(_ seconds: Double) -> Double {
        seconds.isFinite ? (seconds * 1000).rounded() / 1000 : 0
    }

    static func object(_ members: [(String, String)]) -> String {
        "{" + members.map { jsonText(of: .string($0.0)) + ":" + $0.1 }.joined(separator: ",") + "}"
    }

    /// A value's JSON text; the values put here are finite by construction.
    public static func jsonText(of value: JSONValue) -> String {
        (try? value.encodedString()) ?? "null"
    }

    static func tenths(_ ms: Double) -> Double {
        ms.isFinite ? (ms * 10).rounded() / 10 : 0
    }

    // MARK: Reading

    /// Reads an envelope back (the MCP server reads its child's).
    public init(parsing data: Data) throws(ExecEnvelopeError) {
        let json: JSONValue
        do { json = try JSONValue(parsing: data) } catch {
            throw ExecEnvelopeError("not a JSON envelope: \(error)")
        }
        guard let ok = json["ok"]?.boolValue else { throw ExecEnvelopeError("not an envelope: 'ok' is missing") }
        self.ok = ok
        result = json["result"] ?? .null
        resultTruncated = json["result_truncated"]?.boolValue ?? false
        resultError = json["result_error"]?.stringValue
        output = json["output"]?.stringValue ?? ""
        outputTruncated = json["output_truncated"]?.boolValue ?? false
        // A kind this build does not know (another build's child) reads as `runtime`.
        if let error = json["error"], let kind = error["kind"]?.stringValue {
            self.error = Failure(kind: ErrorKind(reading: kind), message: error["message"]?.stringValue ?? "", traceback: error["traceback"]?.stringValue)
        }
        // CallRecord decodes itself (its initializer is the library's own).
        if let calls = json["calls"], let bytes = try? calls.encoded(),
           let records = try? JSONDecoder().decode([CallRecord].self, from: bytes) {
            self.calls = records
        } else {
            self.calls = []
        }
        running = (json["running"]?.arrayValue ?? []).compactMap { item in
            guard let id = item["id"]?.stringValue else { return nil }
            return LeftRun(id: id, kind: item["kind"]?.stringValue ?? "prediction", status: item["status"]?.stringValue ?? "unknown", canceled: false)
        }
        let usage = json["usage"]
        // Counts and seconds from another process, range-checked before they are converted.
        func count(_ value: JSONValue?) -> Int { Int(clamping: max(0, min(value?.intValue ?? 0, 1 << 40))) }
        let seconds = usage?["predict_time"]?.doubleValue ?? 0
        self.usage = RunUsage(predictions: count(usage?["predictions"]), trainings: count(usage?["trainings"]),
                              predictTime: seconds.isFinite && seconds >= 0 ? seconds : 0)
        let stats = json["stats"]
        self.stats = Stats(ms: stats?["ms"]?.doubleValue ?? 0,
                           peakMemoryBytes: Int(stats?["peak_memory_bytes"]?.intValue ?? 0),
                           instructions: UInt64(max(0, stats?["instructions"]?.intValue ?? 0)))
        permissionBypassed = json["permission_bypassed"]?.boolValue ?? false
        session = json["session"]?.stringValue
    }
}

/// A value that cannot go into an envelope, or text that is not an envelope.
public struct ExecEnvelopeError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
