import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A request as the test server received it.
struct RecordedRequest: Sendable {
    var method: String
    var uri: String
    var headers: [(String, String)]
    var body: Data

    var path: String { String(uri.split(separator: "?", maxSplits: 1).first ?? "") }
    var query: String? { uri.split(separator: "?", maxSplits: 1).dropFirst().first.map(String.init) }
    func header(_ name: String) -> String? {
        headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
    }
    var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// What the server sends back.
struct TestResponse: Sendable {
    var status: Int = 200
    var headers: [(String, String)] = [("Content-Type", "application/json")]
    /// Body pieces, each written after its delay. A single piece gets a Content-Length; several
    /// are sent chunked.
    var chunks: [(delay: TimeInterval, data: Data)] = []
    /// Close the connection after the chunks instead of ending the response (a dropped stream).
    var cut = false
    /// Wait before sending anything.
    var delay: TimeInterval = 0
    /// Close the connection without answering (the request reached the server, the reply never came).
    var drop = false

    static let dropped = TestResponse(drop: true)

    /// An account answer sent only after `seconds`: a server slower than the client's patience.
    static func late(_ seconds: TimeInterval) -> TestResponse {
        var response = json(#"{"username":"late"}"#)
        response.delay = seconds
        return response
    }

    static func json(_ text: String, status: Int = 200, headers: [(String, String)] = []) -> TestResponse {
        TestResponse(status: status, headers: [("Content-Type", "application/json")] + headers, chunks: [(0, Data(text.utf8))])
    }

    static func problem(_ status: Int, title: String, detail: String, headers: [(String, String)] = []) -> TestResponse {
        TestResponse(
            status: status, headers: [("Content-Type", "application/problem+json")] + headers,
            chunks: [(0, Data(#"{"title":"\#(title)","detail":"\#(detail)","status":\#(status)}"#.utf8))])
    }
}

/// A tiny scriptable HTTP/1.1 server on 127.0.0.1 with an ephemeral port. Each test gives it a
/// handler; it records every request so tests can prove what reached the server.
final class TestServer: Sendable {
    typealias Handler = @Sendable (RecordedRequest, Int) async -> TestResponse

    private let channel: NIOAsyncChannel<NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, Never>
    private let log = RequestLog()
    private let acceptTask: Task<Void, Never>
    let port: Int

    var baseURL: URL { URL(string: "http://127.0.0.1:\(port)/v1")! }  // a fixed, valid literal
    var origin: String { "http://127.0.0.1:\(port)" }

    /// Starts serving; `handler` gets each request and its 0-based index among all requests.
    init(_ handler: @escaping Handler) async throws {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.configureHTTPServerPipeline()
                    return try NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>(wrappingChannelSynchronously: child)
                }
            }
        self.channel = channel
        self.port = channel.channel.localAddress?.port ?? 0
        let log = self.log
        self.acceptTask = Task {
            try? await channel.executeThenClose { inbound in
                await withDiscardingTaskGroup { group in
                    do {
                        for try await connection in inbound {
                            group.addTask { await TestServer.serve(connection, log: log, handler: handler) }
                        }
                    } catch {}
                }
            }
        }
    }

    /// Every request received so far, in order.
    func requests() async -> [RecordedRequest] { await log.all }

    func stop() async {
        try? await channel.channel.close()
        acceptTask.cancel()
    }

    private static func serve(
        _ connection: NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>, log: RequestLog, handler: Handler
    ) async {
        try? await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            var body = Data()
            for try await part in inbound {
                switch part {
                case .head(let h):
                    head = h
                    body = Data()
                case .body(var buffer):
                    body.append(contentsOf: buffer.readBytes(length: buffer.readableBytes) ?? [])
                case .end:
                    guard let h = head else { continue }
                    let request = RecordedRequest(method: h.method.rawValue, uri: h.uri, headers: h.headers.map { ($0.name, $0.value) }, body: body)
                    let index = await log.append(request)
                    let response = await handler(request, index)
                    if response.delay > 0 { try await Task.sleep(nanoseconds: UInt64(response.delay * 1e9)) }
                    if response.drop { return }
                    var headers = HTTPHeaders(response.headers)
                    if response.chunks.count <= 1 && !response.cut {
                        headers.replaceOrAdd(name: "Content-Length", value: String(response.chunks.first?.data.count ?? 0))
                    }
                    try await outbound.write(.head(HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: response.status), headers: headers)))
                    for chunk in response.chunks {
                        if chunk.delay > 0 { try await Task.sleep(nanoseconds: UInt64(chunk.delay * 1e9)) }
                        if !chunk.data.isEmpty { try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: chunk.data)))) }
                    }
                    if response.cut { return }  // closing without the final chunk: a dropped connection
                    try await outbound.write(.end(nil))
                }
            }
        }
    }
}

actor RequestLog {
    private(set) var all: [RecordedRequest] = []
    func append(_ r: RecordedRequest) -> Int {
        all.append(r)
        return all.count - 1
    }
}
