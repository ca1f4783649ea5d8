import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// A status, headers and decoded body from the API.
public struct APIResponse: Sendable {
    /// HTTP status code.
    public let status: Int
    /// Response headers in wire order (names as sent).
    public let headers: [(String, String)]
    /// The decoded body: JSON for JSON responses, `.string` for text (a README), `.null` for
    /// an empty body or 204; a binary body becomes `{"content_type": …, "base64": …}`. A JSON
    /// body checked by the client is decoded when this is first read, so a caller that only
    /// wants `json` never pays for the tree.
    public var body: JSONValue { storage.value }
    /// The body's bytes as received when it was JSON (already checked to parse), so a caller
    /// that wants the JSON text — the Lua layer decodes it straight into tables — need not
    /// encode `body` again. `nil` for other bodies.
    public let json: Data?
    /// The body's top-level `"id"` when it is a JSON object with a string there (a prediction,
    /// a training, a file…), read without decoding `body`.
    public let id: String?
    private let storage: LazyBody

    public init(status: Int, headers: [(String, String)], body: JSONValue, json: Data? = nil) {
        self.status = status
        self.headers = headers
        self.json = json
        self.id = body["id"]?.stringValue
        self.storage = LazyBody(body)
    }

    /// A response whose JSON body `json` was checked (it parses), with its top-level `id`.
    init(status: Int, headers: [(String, String)], checkedJSON json: Data, id: String?) {
        self.status = status
        self.headers = headers
        self.json = json
        self.id = id
        self.storage = LazyBody(checkedJSON: json)
    }

    /// The first header named `name`, case-insensitively.
    public func header(_ name: String) -> String? {
        HeaderName.value(of: name, in: headers)
    }
}

/// An `APIResponse`'s body: decoded already, or checked JSON decoded on first read.
private final class LazyBody: @unchecked Sendable {
    // Guards `decoded`; held while decoding, so the tree is built once.
    private let lock = NSLock()
    private var decoded: JSONValue?
    private let json: Data?

    init(_ value: JSONValue) {
        decoded = value
        json = nil
    }

    init(checkedJSON: Data) {
        json = checkedJSON
    }

    var value: JSONValue {
        lock.lock()
        defer { lock.unlock() }
        if let decoded { return decoded }
        // The bytes were checked to parse; a failure here cannot happen, and `.null` is what an
        // unreadable body would mean anyway.
        let value = json.flatMap { try? JSONValue(parsing: $0) } ?? .null
        decoded = value
        return value
    }
}

/// Header names compare without regard to ASCII case (RFC 9110). Not `caseInsensitiveCompare`,
/// which goes through NSString and showed in the profile of every call.
enum HeaderName {
    /// The value of the first header named `name` in `headers`.
    static func value(of name: String, in headers: [(String, String)]) -> String? {
        headers.first { equal($0.0, name) }?.1
    }

    static func equal(_ a: String, _ b: String) -> Bool {
        let x = a.utf8, y = b.utf8
        guard x.count == y.count else { return false }
        return zip(x, y).allSatisfy { p, q in p == q || (p | 0x20 == q | 0x20 && (p | 0x20) >= 0x61 && (p | 0x20) <= 0x7A) }
    }
}

/// One HTTP exchange as the transport sees it.
struct HTTPExchange: Sendable {
    var method: String
    var url: URL
    var headers: [(String, String)] = []
    var body: Data?
    /// Raises the configured request timeout for this exchange (a sync-mode prediction is held
    /// open by the server for up to 60 s); never lowers it.
    var timeout: TimeInterval?
    /// Catalog name for error messages.
    var operation: String?
}

/// A fully read response.
struct RawResponse: Sendable {
    var status: Int
    var headers: [(String, String)]
    var body: Data

    func header(_ name: String) -> String? {
        HeaderName.value(of: name, in: headers)
    }
}

/// The process-wide pools, created on first use.
private final class PoolCache: @unchecked Sendable {
    // Guards `pools`; held only to look up or insert.
    private let lock = NSLock()
    private var pools: [String: HTTPClient] = [:]

    func pool(connect: TimeInterval, read: TimeInterval, followRedirects: Bool) -> HTTPClient {
        lock.lock()
        defer { lock.unlock() }
        let key = "\(connect)/\(read)/\(followRedirects)"
        if let pool = pools[key] { return pool }
        let pool = Transport.makeHTTPClient(connectTimeout: connect, readTimeout: read, followRedirects: followRedirects)
        pools[key] = pool
        return pool
    }
}

/// HTTP on AsyncHTTPClient: auth, User-Agent, timeouts, retries, error mapping and redaction.
final class Transport: Sendable {
    let configuration: ReplicateConfiguration
    let httpClient: HTTPClient
    /// The libcurl connection for requests sent in place (`sendInPlace`).
    let inPlace = InPlaceConnections()

    /// Connection pools shared by every client in the process, one per (connect, read) timeout
    /// pair and redirect rule because those live in a pool's configuration. They are never shut
    /// down, so a client that is simply dropped cannot trip AsyncHTTPClient's "not shut down" check.
    private static let pools = PoolCache()

    /// Redirects a pool follows at most; downloads, which check every hop, stop at the same count.
    static let maxRedirects = 5

    /// A pool that follows redirects (API calls), or one that hands them back as responses
    /// (downloads: `ReplicateClient.download` checks each hop's host before anything is sent).
    static func pool(connect: TimeInterval, read: TimeInterval, followRedirects: Bool) -> HTTPClient {
        pools.pool(connect: connect, read: read, followRedirects: followRedirects)
    }

    static func makeHTTPClient(connectTimeout: TimeInterval, readTimeout: TimeInterval, followRedirects: Bool = true) -> HTTPClient {
        var config = HTTPClient.Configuration()
        config.timeout = .init(connect: .milliseconds(Int64(connectTimeout * 1000)), read: .milliseconds(Int64(readTimeout * 1000)))
        config.redirectConfiguration = followRedirects ? .follow(max: maxRedirects, allowCycles: false) : .disallow
        // Scripts fan out (`replicate.map`), and a sync-mode create holds its connection while the
        // model runs; AsyncHTTPClient's default of 8 per host would queue the rest. The service
        // allows 600 creates a minute, each of which may hold a connection for up to a minute:
        // room for all of them and the other requests beside, so a fan-out at the limit is not
        // held back by the pool (`RatePacer` keeps it within the limit).
        config.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 640
        // Failed connects are retried by `RetryEngine` with backoff; AsyncHTTPClient's own retries
        // would keep each attempt going for the whole connect timeout first (46 s for a refused port).
        config.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: config)
    }

    /// Where tasks that send through this transport run: a loop of its own connection pool.
    let executor: EventLoopExecutor
    /// The one view of the rate limits every request to the API takes its turn from.
    let pacer: RatePacer
    /// The poller many waits for predictions share (`ReplicateClient.wait`).
    let board = PredictionBoard()

    init(configuration: ReplicateConfiguration, httpClient: HTTPClient?) {
        self.configuration = configuration
        self.httpClient = httpClient ?? Transport.pool(connect: configuration.connectTimeout, read: configuration.readTimeout, followRedirects: true)
        // The shared pools run on AsyncHTTPClient's default group: every client's tasks share one
        // loop of it, so all of a script's connections live there.
        self.executor = httpClient.map { EventLoopExecutor(loop: $0.eventLoopGroup.next()) } ?? .shared
        self.pacer = PacerCache.shared.pacer(for: configuration)
    }

    /// The limit `url` counts against, or nil for a request the API's limits do not count: one
    /// outside the API's base (a file delivery host, the simulator's served files), or an event
    /// stream.
    func rateClass(method: String, url: URL, operation: String?) -> RateClass? {
        let base = configuration.baseURL
        guard url.host?.lowercased() == base.host?.lowercased(), effectivePort(url) == effectivePort(base),
              url.scheme?.lowercased() == base.scheme?.lowercased(), url.path.hasPrefix(base.path),
              !url.path.contains("/streams/") else { return nil }
        if method.uppercased() == "POST", let name = operation, Catalog.operation(named: name)?.creates != nil { return .create }
        return .other
    }

    /// Notes what an answer says about the limits: a 429 holds back every request of its class
    /// until the time its `Retry-After` names (a second when it names none), at most
    /// `maxRetryDelay`, the bound on any wait a server asks for.
    func noteLimits(_ response: RawResponse, _ rateClass: RateClass?) {
        noteLimits(status: response.status, retryAfter: response.header("Retry-After"), rateClass)
    }

    func noteLimits(status: Int, retryAfter: String?, _ rateClass: RateClass?) {
        guard let rateClass, status == 429 else { return }
        let seconds = retryAfter.flatMap { RetryPolicy.parseRetryAfter($0, now: Date()) } ?? 1
        pacer.refused(rateClass, retryAfter: min(seconds, configuration.maxRetryDelay))
    }

    var token: String? { configuration.token }

    /// Whether the token may be sent to `url`: the API's own origin, or an HTTPS host of
    /// Replicate's own domains (stream URLs live on `*.replicate.net`). A download from a CDN or
    /// any other host never sees it.
    func mayReceiveToken(_ url: URL) -> Bool {
        let base = configuration.baseURL
        let host = url.host?.lowercased() ?? ""
        if url.scheme?.lowercased() == base.scheme?.lowercased() && host == base.host?.lowercased()
            && effectivePort(url) == effectivePort(base)
        {
            return true
        }
        return url.scheme?.lowercased() == "https" && (host.hasSuffix(".replicate.com") || host.hasSuffix(".replicate.net"))
    }

    private func effectivePort(_ url: URL) -> Int? {
        url.port ?? (url.scheme?.lowercased() == "https" ? 443 : url.scheme?.lowercased() == "http" ? 80 : nil)
    }

    func standardHeaders(for url: URL) -> [(String, String)] {
        var headers: [(String, String)] = [("User-Agent", configuration.userAgent)]
        if let token = configuration.token, !token.isEmpty, mayReceiveToken(url) {
            headers.append(("Authorization", "Bearer \(token)"))
        }
        return headers
    }

    /// The headers both ways of sending put on `exchange`: the standard ones, then the
    /// exchange's own, each replacing a standard one of the same name.
    func requestHeaders(_ exchange: HTTPExchange) -> [(String, String)] {
        var headers = standardHeaders(for: exchange.url)
        for (name, value) in exchange.headers {
            headers.removeAll { HeaderName.equal($0.0, name) }
            headers.append((name, value))
        }
        return headers
    }

    /// The request for `exchange`. `onSent` is told when its body begins to be written, that is
    /// when the request goes out on a connection (the pacer counts its turn from then).
    private func makeRequest(_ exchange: HTTPExchange, onSent: (@Sendable () -> Void)? = nil) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: exchange.url.absoluteString)
        request.method = HTTPMethod(rawValue: exchange.method.uppercased())
        for (name, value) in requestHeaders(exchange) { request.headers.add(name: name, value: value) }
        if let body = exchange.body {
            if let onSent {
                request.body = .stream(NoticedBody(bytes: ByteBuffer(data: body), onFirstRead: onSent), length: .known(Int64(body.count)))
            } else {
                request.body = .bytes(ByteBuffer(data: body))
            }
        }
        return request
    }

    /// Sends with retries (`RetryEngine`) and reads the whole body. Non-2xx statuses are
    /// returned, not thrown.
    func send(_ exchange: HTTPExchange) async throws -> RawResponse {
        var retries = RetryEngine(for: exchange, configuration: configuration)
        let rateClass = rateClass(method: exchange.method, url: exchange.url, operation: exchange.operation)
        while true {
            do {
                try Task.checkCancellation()
                var ticket: RatePacer.Ticket?
                if let rateClass { ticket = try await pacer.admit(rateClass) }
                let started = Date()
                let pacer = self.pacer
                let onSent: (@Sendable () -> Void)? = ticket.map { taken in { @Sendable in pacer.sent(taken) } }
                let response = try await executeOnce(exchange, onSent: onSent)
                noteLimits(response, rateClass)
                guard let delay = retries.delay(after: response, started: started) else { return response }
                try await RetryEngine.pause(delay)
            } catch let error as ReplicateError {
                throw error.redacting(token)
            } catch {
                let failure = try failure(of: error, exchange: exchange, timeout: effectiveTimeout(exchange))
                try await RetryEngine.pause(try retries.delay(after: failure))
            }
        }
    }

    /// What an attempt that threw `error` failed with, for a retry loop to weigh: a
    /// `ReplicateError` as it is, anything else mapped (`map`), always redacted. A cancellation
    /// is thrown again, also when the task was cancelled and the library said something else.
    func failure(of error: Error, exchange: HTTPExchange, timeout: TimeInterval? = nil) throws -> ReplicateError {
        if error is CancellationError || Task.isCancelled { throw CancellationError() }
        return ((error as? ReplicateError) ?? Transport.map(error, exchange: exchange, timeout: timeout)).redacting(token)
    }

    func effectiveTimeout(_ exchange: HTTPExchange) -> TimeInterval {
        max(exchange.timeout ?? 0, configuration.requestTimeout)
    }

    /// One attempt. `onSent` is told when the request went out: as its body begins to be
    /// written, or for a request without one when the answer's head arrives (a moment later).
    private func executeOnce(_ exchange: HTTPExchange, onSent: (@Sendable () -> Void)? = nil) async throws -> RawResponse {
        let request = makeRequest(exchange, onSent: onSent)
        let timeout = effectiveTimeout(exchange)
        let response = try await httpClient.execute(request, timeout: .milliseconds(Int64(timeout * 1000)))
        if exchange.body == nil { onSent?() }
        let buffer = try await response.body.collect(upTo: configuration.maxResponseBytes)
        let headers = response.headers.map { ($0.name, $0.value) }
        return RawResponse(status: Int(response.status.code), headers: headers, body: Data(buffer: buffer))
    }

    /// Opens a streaming GET (for SSE). One attempt; the caller owns reconnection.
    func openStream(url: URL, headers: [(String, String)]) async throws -> HTTPClientResponse {
        var exchange = HTTPExchange(method: "GET", url: url)
        exchange.headers = headers
        do {
            return try await httpClient.execute(makeRequest(exchange), timeout: .milliseconds(Int64(configuration.requestTimeout * 1000)))
        } catch is CancellationError {
            throw CancellationError()
        } catch let error as ReplicateError {
            throw error.redacting(token)
        } catch {
            throw Transport.map(error, exchange: exchange, timeout: configuration.requestTimeout).redacting(token)
        }
    }

    /// Maps AsyncHTTPClient and NIO errors to `ReplicateError` kinds.
    static func map(_ error: Error, exchange: HTTPExchange, timeout: TimeInterval? = nil) -> ReplicateError {
        let target = "\(exchange.method) \(exchange.url.path)"
        if let e = error as? HTTPClientError {
            switch e {
            case .deadlineExceeded:
                let limit = timeout.map { " within \($0) s" } ?? ""
                return ReplicateError(kind: .timeout, message: "\(target): no response\(limit)", operation: exchange.operation)
            case .connectTimeout, .readTimeout, .writeTimeout, .tlsHandshakeTimeout, .getConnectionFromPoolTimeout:
                return ReplicateError(kind: .timeout, message: "\(target): \(e)", operation: exchange.operation)
            case .cancelled:
                return ReplicateError(kind: .network, message: "\(target) was cancelled", operation: exchange.operation)
            default:
                return ReplicateError(kind: .network, message: "\(target): \(e)", operation: exchange.operation)
            }
        }
        if error is NIOTooManyBytesError {
            return ReplicateError(kind: .network, message: "\(target): the response is larger than the most this run reads (its memory limit, at most 256 MiB)",
                                  operation: exchange.operation)
        }
        return ReplicateError(kind: .network, message: "\(target): \(String(describing: error))", operation: exchange.operation)
    }
}

/// A request body of one buffer that tells `onFirstRead` when the connection starts reading it:
/// the moment the request goes out, which AsyncHTTPClient does not report otherwise.
struct NoticedBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let bytes: ByteBuffer
    let onFirstRead: @Sendable () -> Void

    struct AsyncIterator: AsyncIteratorProtocol {
        var bytes: ByteBuffer?
        let onFirstRead: @Sendable () -> Void

        mutating func next() async -> ByteBuffer? {
            guard let buffer = bytes else { return nil }
            bytes = nil
            onFirstRead()
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(bytes: bytes, onFirstRead: onFirstRead) }
}
