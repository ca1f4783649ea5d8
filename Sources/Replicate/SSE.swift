import AsyncHTTPClient
import Foundation
import NIOCore

/// One server-sent event.
public struct ServerSentEvent: Sendable, Hashable {
    /// The last event id seen on the stream (ids persist across events, per the spec).
    public var id: String?
    /// The event type; `message` when the server gave none. Replicate sends `output`, `logs`,
    /// `error` and `done`.
    public var event: String
    /// The data lines joined with `\n`.
    public var data: String
    /// A reconnection delay in milliseconds, if this event set one.
    public var retry: Int?

    public init(id: String? = nil, event: String = "message", data: String = "", retry: Int? = nil) {
        self.id = id
        self.event = event
        self.data = data
        self.retry = retry
    }
}

/// An incremental parser for the `text/event-stream` format (WHATWG HTML §9.2.6).
///
/// Feed it bytes as they arrive, in chunks of any size; it returns the events completed by
/// each chunk. Lines may end in LF, CR or CRLF (even split across chunks); `:` lines are
/// comments (keep-alives); a leading UTF-8 BOM is skipped.
///
/// One deliberate difference from the browser algorithm: an event with a type but no `data`
/// line (`event: done` then a blank line) is still dispatched, because a stream's `done`
/// matters to the reader even when empty.
public struct SSEParser: Sendable {
    private var line: [UInt8] = []
    private var lastWasCR = false
    private var atStart = true
    private var bomChecked: [UInt8] = []
    private var dataLines: [String] = []
    private var sawData = false
    private var eventType = ""
    private var retry: Int?
    /// The id being collected; it becomes `lastEventID` when an event completes.
    private var idBuffer: String?
    /// The id of the last completed event, sent as `Last-Event-ID` on reconnection.
    public private(set) var lastEventID: String?
    /// The reconnection delay the server last asked for, in milliseconds.
    public private(set) var reconnectionDelay: Int?

    public init() {}

    /// Parses `bytes`, returning the events they complete.
    public mutating func feed<Bytes: Sequence>(_ bytes: Bytes) -> [ServerSentEvent] where Bytes.Element == UInt8 {
        var events: [ServerSentEvent] = []
        for byte in bytes {
            if atStart {
                // Hold back up to three bytes to recognise a BOM.
                bomChecked.append(byte)
                let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
                if bomChecked == Array(bom.prefix(bomChecked.count)) {
                    if bomChecked.count == 3 { atStart = false; bomChecked = [] }
                    continue
                }
                atStart = false
                let held = bomChecked
                bomChecked = []
                for b in held { process(b, into: &events) }
                continue
            }
            process(byte, into: &events)
        }
        return events
    }

    /// Ends the stream: a final event without its blank line is discarded, as the spec says.
    /// The next bytes are a new stream (a reconnection's response), which may start with a BOM.
    public mutating func finish() {
        line = []
        lastWasCR = false
        atStart = true
        bomChecked = []
        idBuffer = lastEventID
        resetEvent()
    }

    private mutating func process(_ byte: UInt8, into events: inout [ServerSentEvent]) {
        if byte == 0x0A {
            if lastWasCR { lastWasCR = false; return }  // the LF of a CRLF
            endLine(into: &events)
        } else if byte == 0x0D {
            lastWasCR = true
            endLine(into: &events)
        } else {
            lastWasCR = false
            line.append(byte)
        }
    }

    private mutating func endLine(into events: inout [ServerSentEvent]) {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {
            dispatch(into: &events)
            return
        }
        if line[0] == UInt8(ascii: ":") { return }  // a comment: keep-alive
        // Split on bytes, as the spec does, not on Characters: a combining mark right after the
        // colon or the space would join it into one grapheme and hide it (`data: \u{301}x`).
        var fieldBytes = line[...]
        var valueBytes = line[line.endIndex...]
        if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
            fieldBytes = line[..<colon]
            valueBytes = line[(colon + 1)...]
            if valueBytes.first == UInt8(ascii: " ") { valueBytes = valueBytes.dropFirst() }
        }
        let field = String(decoding: fieldBytes, as: UTF8.self)
        let value = String(decoding: valueBytes, as: UTF8.self)
        switch field {
        case "event": eventType = value
        case "data":
            dataLines.append(value)
            sawData = true
        case "id":
            if !valueBytes.contains(0) { idBuffer = value }
        case "retry":
            if !value.isEmpty, value.allSatisfy({ $0.isASCII && $0.isNumber }), let ms = Int(value) {
                retry = ms
                reconnectionDelay = ms
            }
        default: break  // unknown fields are ignored
        }
    }

    private mutating func dispatch(into events: inout [ServerSentEvent]) {
        defer { resetEvent() }
        // The id is committed at every blank line, even one that dispatches nothing.
        lastEventID = idBuffer
        guard sawData || !eventType.isEmpty else { return }
        events.append(
            ServerSentEvent(
                id: lastEventID, event: eventType.isEmpty ? "message" : eventType, data: dataLines.joined(separator: "\n"), retry: retry))
    }

    private mutating func resetEvent() {
        dataLines = []
        sawData = false
        eventType = ""
        retry = nil
    }
}

/// How `stream` reconnects when a connection drops before `done`.
public struct StreamOptions: Sendable {
    /// Reconnections allowed in a row without receiving an event in between.
    public var maxReconnects: Int
    /// Delay before reconnecting, unless the server asked for another (`Retry-After` on a
    /// refusal or server error, else the stream's `retry:`).
    public var reconnectDelay: TimeInterval
    /// Upper bound on a server-requested delay (`Retry-After` or `retry:`).
    public var maxReconnectDelay: TimeInterval

    public init(maxReconnects: Int = 5, reconnectDelay: TimeInterval = 0.25, maxReconnectDelay: TimeInterval = 10) {
        self.maxReconnects = maxReconnects
        self.reconnectDelay = reconnectDelay
        self.maxReconnectDelay = maxReconnectDelay
    }
}

extension ReplicateClient {
    /// Streams a prediction's server-sent events (`output`, `logs`, `error`, `done`) from its
    /// `urls.stream`. The sequence ends after `done`. When the connection drops first, it
    /// reconnects with `Last-Event-ID` so no event is lost or repeated.
    public func stream(_ prediction: Prediction, options: StreamOptions = .init()) throws -> AsyncThrowingStream<ServerSentEvent, Error> {
        guard let stream = prediction.urls?.stream, let url = URL(string: stream) else {
            throw ReplicateError.validation("prediction \(prediction.id) has no urls.stream; the model does not stream", operation: "stream")
        }
        return self.stream(url: url, options: options)
    }

    /// Creates a prediction and streams its events: `run`, but token by token.
    public func stream(
        _ target: RunTarget, input: [String: JSONValue], options: PredictionOptions = .init(), streamOptions: StreamOptions = .init()
    ) async throws -> AsyncThrowingStream<ServerSentEvent, Error> {
        let prediction = try await createPrediction(target, input: input, options: options)
        return try stream(prediction, options: streamOptions)
    }

    /// Streams server-sent events from `url`, reconnecting with `Last-Event-ID`.
    public func stream(url: URL, options: StreamOptions = .init()) -> AsyncThrowingStream<ServerSentEvent, Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    try await self.runStream(url: url, options: options) { continuation.yield($0) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    private func runStream(url: URL, options: StreamOptions, emit: (ServerSentEvent) -> Void) async throws {
        var parser = SSEParser()
        // Reconnections in a row: every event received starts the budget again.
        var retries = RetryEngine(.stream(options), method: "GET", url: url, logger: configuration.logger)
        while true {
            var headers: [(String, String)] = [("Accept", "text/event-stream"), ("Cache-Control", "no-store")]
            if let id = parser.lastEventID { headers.append(("Last-Event-ID", id)) }
            let ended: ReplicateError
            let verdict: RetryVerdict
            do {
                let response = try await transport.openStream(url: url, headers: headers)
                let status = Int(response.status.code)
                if (200...299).contains(status) {
                    // A fresh connection starts a fresh line buffer; the last id carries over.
                    parser.finish()
                    for try await chunk in response.body {
                        for event in parser.feed(chunk.readableBytesView) {
                            retries.progressed()
                            emit(event)
                            if event.event == "done" { return }
                        }
                    }
                    ended = ReplicateError(kind: .network, message: "stream ended before its done event", operation: "stream")
                    verdict = retries.verdict(failure: ended, serverDelay: parser.reconnectionSeconds)
                } else {
                    let body = try await response.body.collect(upTo: 64 * 1024)
                    ended = ReplicateError.http(status: status, body: Data(buffer: body), headers: response.headers.map { ($0.name, $0.value) }, operation: "stream")
                        .redacting(transport.token)
                    // 5xx and 429 are worth a reconnection (after the server's `Retry-After`); other statuses will not change.
                    verdict = retries.verdict(status: status, retryAfter: response.headers.first(name: "Retry-After"), serverDelay: parser.reconnectionSeconds)
                }
            } catch {
                ended = try transport.failure(of: error, exchange: HTTPExchange(method: "GET", url: url, operation: "stream"))
                verdict = retries.verdict(failure: ended, serverDelay: parser.reconnectionSeconds)
            }
            switch verdict {
            case .retry(let delay):
                try await RetryEngine.pause(delay)
            case .final:
                throw retries.surfaced(ended)
            case .spent:
                var e = ended
                e.message += " (gave up after \(options.maxReconnects) reconnections)"
                throw e
            }
        }
    }
}

extension SSEParser {
    /// The reconnection delay the server set (`retry:`), in seconds.
    var reconnectionSeconds: TimeInterval? { reconnectionDelay.map { Double($0) / 1000 } }
}
