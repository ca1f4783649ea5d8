import CCurl
import Foundation

// Why in place: a Lua script's main chunk waits for each `replicate.*` call's answer anyway. Sent
// through AsyncHTTPClient, a call crosses threads at least twice (script → NIO event loop →
// script), and on a small machine each crossing is a scheduler wake-up costing tens of
// microseconds — about half of a call against a local server (Benchmarks/notes.md). Sent with
// libcurl from the script's own thread, the request goes out and the answer comes back on that
// thread, as with Python's or Ruby's blocking clients. Calls from scheduler tasks
// (`replicate.map`, …) keep AsyncHTTPClient: they must run side by side.
extension Transport {
    /// `send`, on the calling thread, blocking it: the same retries (`RetryEngine`), timeouts,
    /// error kinds and redaction. Returns nil when it cannot send this way — libcurl is not installed, or another
    /// thread is using this transport's connection — and the caller uses `send`.
    /// - Throws: `ReplicateError` like `send`, or `Stopped` when `stop` ended it.
    func sendInPlace(_ exchange: HTTPExchange, stop: StopCheck) throws -> RawResponse? {
        // Idempotent methods only. libcurl sends a request again, on a new connection, when a
        // reused one closes before any byte of the answer arrives (Curl_retry_request in its
        // lib/transfer.c; no option turns it off). Harmless for a GET; a POST could create a
        // prediction twice, which `RetryPolicy` promises never to do — those go through `send`.
        guard RetryPolicy.isIdempotent(exchange.method), let connection = inPlace.acquire() else { return nil }
        defer { inPlace.release(connection) }
        var retries = RetryEngine(for: exchange, configuration: configuration)
        let rateClass = rateClass(method: exchange.method, url: exchange.url, operation: exchange.operation)
        while true {
            do {
                // The caller waits anyway: its turn is waited for here, on its thread.
                var ticket: RatePacer.Ticket?
                if let rateClass { ticket = try pacer.admit(rateClass, stop: stop) }
                let started = Date()
                let response = try executeInPlace(exchange, on: connection, stop: stop)
                // Idempotent requests carry no body: out, as near as can be told, when answered.
                if let ticket { pacer.sent(ticket) }
                noteLimits(response, rateClass)
                guard let delay = retries.delay(after: response, started: started) else { return response }
                try stop.sleep(delay)
            } catch let failure as ReplicateError {
                try stop.sleep(try retries.delay(after: failure.redacting(token)))
            }
        }
    }

    private func executeInPlace(_ exchange: HTTPExchange, on connection: CurlConnection, stop: StopCheck) throws -> RawResponse {
        let headers = requestHeaders(exchange)
        var timeout = effectiveTimeout(exchange)
        var cappedByCaller = false
        // A few milliseconds past the caller's deadline, so that when curl gives up the caller's
        // check already says stop (its own time limit, not a request timeout, ended the call).
        if let left = stop.secondsLeft(), left + 0.01 < timeout {
            timeout = max(0.001, left + 0.01)
            cappedByCaller = true
        }
        let outcome = connection.perform(
            method: exchange.method.uppercased(), url: exchange.url.absoluteString, headers: headers, body: exchange.body,
            timeouts: (connect: configuration.connectTimeout, whole: timeout, idle: configuration.readTimeout),
            maxBody: configuration.maxResponseBytes, stop: stop)
        switch outcome {
        case .success(let response):
            return response
        case .failure(let failure):
            if stop.shouldStop() || (cappedByCaller && failure.timedOut) { throw Stopped() }
            let target = "\(exchange.method) \(exchange.url.path)"
            let kind: ReplicateError.Kind = failure.timedOut ? .timeout : .network
            throw ReplicateError(kind: kind, message: "\(target): \(failure.message)", operation: exchange.operation).redacting(token)
        }
    }
}

/// Why a libcurl exchange failed.
struct CurlFailure: Error {
    var message: String
    var timedOut: Bool
}

/// The in-place connections of one transport: a libcurl handle, which keeps its connections
/// (and TLS sessions) open from one request to the next, used by one thread at a time. The
/// client that owns the transport closes it (`ReplicateClient.shutdown()`), or it is cleaned up
/// when the client goes.
final class InPlaceConnections: @unchecked Sendable {
    // Guards `idle`, `made` and `closed`; held only to take, return or close the handle.
    private let lock = NSLock()
    private var idle: CurlConnection?
    private var made = false
    private var closed = false

    /// The handle, or nil when libcurl is missing, the handle is in use on another thread, or
    /// the connections were closed.
    func acquire() -> CurlConnection? {
        lock.lock()
        defer { lock.unlock() }
        guard !closed else { return nil }
        if let connection = idle {
            idle = nil
            return connection
        }
        guard !made, CurlConnection.libraryLoaded, let connection = CurlConnection() else { return nil }
        made = true
        return connection
    }

    /// Gives the handle back for the next request; after `close()` it is cleaned up instead.
    func release(_ connection: CurlConnection) {
        lock.lock()
        if !closed { idle = connection }
        lock.unlock()
    }

    /// Closes the handle and the connections it keeps open, and makes no other: a request
    /// still using it (on another thread) finishes, and its handle is closed when it is given
    /// back. Closing twice does nothing more.
    func close() {
        lock.lock()
        closed = true
        let connection = idle
        idle = nil
        lock.unlock()
        // The last reference: libcurl cleans the handle up here, outside the lock.
        withExtendedLifetime(connection) {}
    }
}

/// One libcurl easy handle.
final class CurlConnection {
    /// Whether libcurl was found (loaded on first use; once per process).
    static let libraryLoaded: Bool = kosmo_curl_load() == 1

    private let handle: UnsafeMutableRawPointer

    init?() {
        guard let handle = kosmo_curl_easy_init() else { return nil }
        self.handle = handle
    }

    deinit { kosmo_curl_easy_cleanup(handle) }

    /// Carries a `StopCheck` into libcurl's progress callback.
    private final class StopBox {
        let check: StopCheck
        init(_ check: StopCheck) { self.check = check }
    }

    /// One exchange: the last response's status, headers and body, or why there was none.
    func perform(method: String, url: String, headers: [(String, String)], body: Data?,
                 timeouts: (connect: TimeInterval, whole: TimeInterval, idle: TimeInterval),
                 maxBody: Int, stop: StopCheck) -> Result<RawResponse, CurlFailure> {
        // "Name:" lines remove what curl would add on its own: no `Expect: 100-continue` round
        // trip for a large body, no `Accept: */*` the request did not ask for — the same headers
        // the AsyncHTTPClient path sends.
        var lines = headers.map { "\($0.0): \($0.1)" } + ["Expect:"]
        if !headers.contains(where: { HeaderName.equal($0.0, "Accept") }) { lines.append("Accept:") }
        let cLines = lines.map { strdup($0) }
        let cMethod = strdup(method), cURL = strdup(url)
        defer {
            cLines.forEach { free($0) }
            free(cMethod)
            free(cURL)
        }
        let box = StopBox(stop)
        var response = kosmo_curl_response_t()
        let code: CURLcode = withExtendedLifetime(box) {
            cLines.map { $0.map { UnsafePointer($0) } }.withUnsafeBufferPointer { headerPointers in
                let send = { (bodyPointer: UnsafeRawPointer?, bodyLength: Int) -> CURLcode in
                    var request = kosmo_curl_request_t(
                        method: cMethod, url: cURL, headers: headerPointers.baseAddress, header_count: headerPointers.count,
                        body: bodyPointer, body_length: bodyLength,
                        connect_timeout_ms: Self.milliseconds(timeouts.connect), timeout_ms: Self.milliseconds(timeouts.whole),
                        idle_timeout_s: max(1, Int(timeouts.idle.rounded(.up))), max_body: maxBody,
                        should_stop: { context in
                            guard let context else { return 0 }
                            return Unmanaged<StopBox>.fromOpaque(context).takeUnretainedValue().check.shouldStop() ? 1 : 0
                        },
                        stop_context: Unmanaged.passUnretained(box).toOpaque())
                    return kosmo_curl_perform(self.handle, &request, &response)
                }
                guard let body else { return send(nil, 0) }
                // An empty body still has to be sent as one (a POST with Content-Length: 0).
                return body.isEmpty ? send(UnsafeRawPointer(bitPattern: 1), 0) : body.withUnsafeBytes { send($0.baseAddress, $0.count) }
            }
        }
        defer { kosmo_curl_response_free(&response) }
        guard code == CURLE_OK else {
            if response.body.over_limit != 0 {
                return .failure(CurlFailure(message: "the response is larger than \(maxBody) bytes", timedOut: false))
            }
            let detail = withUnsafeBytes(of: response.error) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
            let message = detail.isEmpty ? String(cString: kosmo_curl_strerror(code)) : detail
            return .failure(CurlFailure(message: message, timedOut: code == CURLE_OPERATION_TIMEDOUT))
        }
        let bodyData = response.body.length == 0 ? Data() : Data(bytes: response.body.bytes, count: response.body.length)
        let headers = Self.parseHeaders(UnsafeRawBufferPointer(start: response.headers.bytes, count: response.headers.length))
        return .success(RawResponse(status: Int(response.status), headers: headers, body: bodyData))
    }

    /// Header lines of one response (its status line first) as name-value pairs in wire order.
    /// Works on bytes: Foundation's trimming showed in the profile of every call.
    static func parseHeaders(_ block: UnsafeRawBufferPointer) -> [(String, String)] {
        var headers: [(String, String)] = []
        var lineStart = 0
        var first = true
        func trimmed(_ range: Range<Int>) -> String {
            var lower = range.lowerBound, upper = range.upperBound
            while lower < upper, block[lower] == 0x20 || block[lower] == 0x09 { lower += 1 }
            while upper > lower, block[upper - 1] == 0x20 || block[upper - 1] == 0x09 || block[upper - 1] == 0x0D { upper -= 1 }
            return String(decoding: UnsafeRawBufferPointer(rebasing: block[lower..<upper]), as: UTF8.self)
        }
        for index in 0...block.count where index == block.count || block[index] == 0x0A {
            defer { lineStart = index + 1 }
            if first {
                first = false
                continue
            }
            guard let colon = block[lineStart..<index].firstIndex(of: UInt8(ascii: ":")) else { continue }
            headers.append((trimmed(lineStart..<colon), trimmed((colon + 1)..<index)))
        }
        return headers
    }

    private static func milliseconds(_ seconds: TimeInterval) -> Int {
        Int(min(max(seconds * 1000, 1), Double(Int32.max)))
    }
}
