import Foundation
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// An in-process simulator of Replicate's HTTP API (all 37 operations under `/v1`), for
/// offline scripts, tests and benchmarks.
///
/// ```swift
/// let sim = Simulator()
/// try await sim.start()
/// print(sim.baseURL)   // http://127.0.0.1:PORT/v1
/// await sim.shutdown()
/// ```
public final class Simulator: Sendable {
    let core: SimCore
    private let running = NIOLockedValueBox<Task<Void, any Error>?>(nil)
    /// Deletes finished predictions' data when `expireAfter` is set.
    private let expiry = NIOLockedValueBox<Task<Void, Never>?>(nil)
    private let boundPort = NIOLockedValueBox<Int?>(nil)
    /// The event loop that serves everything, from ``start()`` to ``shutdown()``: the
    /// simulator's work per request is small, and a second loop would only add hand-offs
    /// between threads.
    private let loopGroup = NIOLockedValueBox<MultiThreadedEventLoopGroup?>(nil)

    /// Creates a simulator; nothing listens until ``start()``.
    public init(options: SimulatorOptions = .init()) {
        core = SimCore(options: options)
    }

    /// Binds the listening socket and returns once the server accepts connections.
    public func start() async throws {
        let options = core.options
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: SimMiddleware(core: core))
        core.registerRoutes(on: router)
        var logger = Logger(label: "ReplicateSim")
        logger.logLevel = .critical

        let (ready, readyContinuation) = AsyncStream<Int?>.makeStream()
        let loopGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.loopGroup.withLockedValue { $0 = loopGroup }
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: nil),
            onServerRunning: { channel in
                readyContinuation.yield(channel.localAddress?.port)
                readyContinuation.finish()
            },
            eventLoopGroupProvider: .shared(loopGroup),
            logger: logger
        )
        let serve: @Sendable () async throws -> Void = {
            do {
                try await app.run()
            } catch {
                readyContinuation.finish()
                throw error
            }
            readyContinuation.finish()
        }
        // The handlers run on the loop that owns the sockets: a request is read, answered and
        // written on one thread, with no hand-off to Swift's pool and back.
        let task: Task<Void, any Error>
        if #available(macOS 15, *) {
            task = Task(executorPreference: LoopExecutor(loop: loopGroup.next()), operation: serve)
        } else {
            task = Task(operation: serve)
        }
        running.withLockedValue { $0 = task }
        var port: Int? = nil
        for await p in ready { port = p; break }
        guard let port else {
            // The server task ended before listening: surface its error (e.g. address in use),
            // after letting the loop's thread go (a failed start is not shut down by callers).
            await shutdown()
            do {
                try await task.value
            } catch let error as IOError where error.errnoCode == EADDRINUSE {
                throw SimulatorError.addressInUse(host: options.host, port: options.port)
            } catch let error as IOError where error.errnoCode == EACCES || error.errnoCode == EADDRNOTAVAIL {
                throw SimulatorError.cannotListen(host: options.host, port: options.port, reason: String(cString: strerror(error.errnoCode)))
            }
            throw SimulatorError.notListening
        }
        boundPort.withLockedValue { $0 = port }
        let host = (options.host == "0.0.0.0" || options.host == "::") ? "127.0.0.1" : options.host
        core.state.api.withLockedValue { $0 = "http://\(host):\(port)/v1" }
        if let after = options.expireAfter {
            let state = core.state
            expiry.withLockedValue { $0 = Task { await DataExpiry.run(state, after: after) } }
        }
    }

    /// `http://HOST:PORT/v1`, valid after ``start()``.
    public var baseURL: URL {
        URL(string: core.state.apiBase) ?? URL(fileURLWithPath: "/")
    }

    /// The bound port (after ``start()``).
    public var port: Int? { boundPort.withLockedValue { $0 } }

    /// Stops listening and waits for the server to finish.
    public func shutdown() async {
        expiry.withLockedValue { t in
            t?.cancel()
            t = nil
        }
        let task = running.withLockedValue { t -> Task<Void, any Error>? in
            defer { t = nil }
            return t
        }
        task?.cancel()
        _ = try? await task?.value
        let group = loopGroup.withLockedValue { g -> MultiThreadedEventLoopGroup? in
            defer { g = nil }
            return g
        }
        try? await group?.shutdownGracefully()
    }

    /// Requests seen so far (also served at `GET /_sim/requests`).
    public func requests() -> [SimRequestRecord] { core.log.all() }

    /// Clears the request log (also `DELETE /_sim/requests`).
    public func clearRequests() { core.log.clear() }

    /// The secret webhooks are signed with (also `GET /v1/webhooks/default/secret`).
    public var webhookSecret: String { core.state.webhookSecret }
}

public enum SimulatorError: Error, CustomStringConvertible {
    case notListening
    /// Something else listens on the port.
    case addressInUse(host: String, port: Int)
    /// The address cannot be bound (a privileged port, an address this machine does not have).
    case cannotListen(host: String, port: Int, reason: String)

    public var description: String {
        switch self {
        case .notListening:
            return "the simulator stopped before it was listening"
        case .addressInUse(let host, let port):
            return "port \(port) on \(host) is already in use: stop what listens there or choose another port (port 0 picks a free one)"
        case .cannotListen(let host, let port, let reason):
            return "cannot listen on \(host) port \(port): \(reason); choose another host or port (port 0 picks a free one)"
        }
    }
}

/// Everything the handlers share.
final class SimCore: Sendable {
    let options: SimulatorOptions
    let state = SimState()
    let log: RequestLog
    let limiter: RateLimiter
    let faults: FaultInjector
    let webhooks: WebhookSender
    let lifecycle: Lifecycle

    init(options: SimulatorOptions) {
        self.options = options
        log = RequestLog(limit: options.requestLogLimit)
        limiter = RateLimiter(createsPerMinute: options.createsPerMinute, otherPerMinute: options.otherRequestsPerMinute, model: options.rateLimitModel, window: options.rateWindow)
        faults = FaultInjector(spec: options.faults, seed: options.seed)
        webhooks = WebhookSender(secret: state.webhookSecret, speed: options.speed)
        lifecycle = Lifecycle(state: state, webhooks: webhooks, speed: options.speed)
    }

    func registerRoutes(on router: Router<BasicRequestContext>) {
        registerPredictionRoutes(on: router)
        registerModelRoutes(on: router)
        registerFileRoutes(on: router)
        registerDeploymentRoutes(on: router)
        registerTrainingRoutes(on: router)
        registerMiscRoutes(on: router)
        registerSimRoutes(on: router)
    }
}

/// Request log, faults, auth and rate limits, in that order, around every route; also turns
/// thrown ``Problem``s and routing errors into problem+json so nothing escapes as a bare 500.
struct SimMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let core: SimCore

    struct InjectedReset: Error {}

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        if path.hasPrefix("/_sim/requests") { return await wrap(request, context, next) }
        var record = SimRequestRecord(
            method: request.method.rawValue, path: path, query: request.uri.query ?? "", status: 0,
            time: Date().timeIntervalSince1970,
            authenticated: request.headers[.authorization]?.hasPrefix("Bearer ") ?? false,
            fault: nil, bodyBytes: request.headers[.contentLength].flatMap { Int($0) } ?? 0,
            prefer: request.headers[.prefer])
        let response = await respond(request, context, next, path: path, record: &record)
        // For an injected reset this is the status of the head that went out before the body was cut.
        record.status = response.status.code
        core.log.append(record)
        return response
    }

    private func respond(_ request: Request, _ context: Context, _ next: (Request, Context) async throws -> Response, path: String, record: inout SimRequestRecord) async -> Response {
        // Streams and delivery files are public URLs, like the service's streaming and delivery hosts.
        let isAPI = path.hasPrefix("/v1/") && !path.hasPrefix("/v1/streams/")
        guard isAPI else { return await wrap(request, context, next) }

        let spec = core.faults.spec
        if spec.latency > .zero { try? await Task.sleep(for: spec.latency) }
        let fault = core.faults.draw()
        switch fault {
        case .throttle?:
            record.fault = "429"
            // A burst throttle: the service asks to come back in about a second.
            return throttled(seconds: 1)
        case .unavailable?:
            record.fault = "503"
            return Problem(status: .serviceUnavailable, title: "Service Unavailable", detail: "The service is temporarily unavailable. Please try again.").response()
        case .malformed?:
            record.fault = "malformed"
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{\"id\": \"trunc")))
        case .reset?, nil:
            break
        }
        let response = await authorizeAndRoute(request, context, next, path: path)
        if fault == nil, Self.isCreate(request, path: path), response.status.code < 300, core.faults.drawCut() {
            record.fault = "cut"
            // The create was carried out (its prediction exists and runs); its answer's body is
            // held back, then the connection is cut before any of it: the client never learns the
            // id. Logged now, while the client waits, so the log shows the create at once.
            let delay = spec.cutDelay
            return Response(status: response.status, headers: [.contentType: "application/json"], body: ResponseBody(contentLength: 1024) { _ in
                try? await Task.sleep(for: delay)
                throw InjectedReset()
            })
        }
        guard fault == .reset else { return response }
        record.fault = "reset"
        // The request has been carried out (a create created its prediction); the answer is lost:
        // promise a body and fail while writing it, so the server closes the connection
        // mid-response. This is the case a client must not blindly repeat for a POST.
        return Response(status: response.status, headers: [.contentType: "application/json"], body: ResponseBody(contentLength: 1024) { _ in throw InjectedReset() })
    }

    private func authorizeAndRoute(_ request: Request, _ context: Context, _ next: (Request, Context) async throws -> Response, path: String) async -> Response {
        // Signed download links carry their own authorization (owner, expiry, signature).
        let signedDownload = path.hasSuffix("/download") && (request.uri.query ?? "").contains("signature=")
        guard signedDownload || isAuthorized(request) else {
            return Problem.unauthenticated.response()
        }
        let token = bearer(request) ?? "signed-download"

        if let wait = core.limiter.check(token: token, isCreate: Self.isCreate(request, path: path)) {
            return throttled(seconds: wait)
        }
        return await wrap(request, context, next)
    }

    /// A request that creates a prediction or training (what the create rate limit counts).
    static func isCreate(_ request: Request, path: String) -> Bool {
        request.method == .post && (path == "/v1/predictions" || path.hasSuffix("/predictions") || path.hasSuffix("/trainings"))
    }

    private func bearer(_ request: Request) -> String? {
        guard let auth = request.headers[.authorization], auth.hasPrefix("Bearer ") || auth.hasPrefix("Token ") else { return nil }
        let token = String(auth.split(separator: " ", maxSplits: 1).last ?? "").trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }

    private func isAuthorized(_ request: Request) -> Bool {
        guard let token = bearer(request) else { return false }
        return core.options.token == nil || token == core.options.token
    }

    /// The service's throttling answer: 429, `Retry-After`, and its `detail` message.
    private func throttled(seconds: Int) -> Response {
        var r = jsonResponse(["detail": .string("Request was throttled. Your rate limit resets in ~\(seconds)s.")], status: .tooManyRequests)
        r.headers[.retryAfter] = String(seconds)
        return r
    }

    private func wrap(_ request: Request, _ context: Context, _ next: (Request, Context) async throws -> Response) async -> Response {
        do {
            return try await next(request, context)
        } catch let problem as Problem {
            return problem.response()
        } catch let error as HTTPError {
            switch error.status {
            case .notFound: return Problem.notFound().response()
            case .methodNotAllowed: return Problem(status: .methodNotAllowed, title: "Method not allowed", detail: "Method \(request.method.rawValue) is not allowed here.").response()
            case .contentTooLarge: return Problem(status: .contentTooLarge, title: "Request entity too large", detail: "Files must be less than 100MB in size").response()
            default: return Problem(status: error.status, title: error.status.reasonPhrase, detail: error.body ?? error.status.reasonPhrase).response()
            }
        } catch {
            return Problem(status: .internalServerError, title: "Internal server error", detail: "\(error)").response()
        }
    }
}

extension Request {
    /// The body parsed as a JSON object, or a 400 problem.
    func jsonObject(limit: Int = 10 << 20) async throws -> [String: JSON] {
        let buffer = try await body.collect(upTo: limit)
        if buffer.readableBytes == 0 { return [:] }
        guard let json = JSON.parse(buffer) else { throw Problem.badRequest("The request body is not valid JSON.") }
        guard let o = json.object else { throw Problem.badRequest("The request body must be a JSON object.") }
        return o
    }

    func header(_ name: String) -> String? {
        FieldName(name).flatMap { headers[$0] }
    }
}
