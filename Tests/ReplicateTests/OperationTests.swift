import Foundation
import Logging
import Testing

@testable import Replicate

/// Placeholder arguments that satisfy an operation's required parameters.
func sampleArguments(for op: OperationSpec) -> [String: JSONValue] {
    var args: [String: JSONValue] = [:]
    for spec in op.parameters + (op.body?.fields ?? []) where spec.required {
        switch spec.type {
        case "integer": args[spec.name] = 7
        case "boolean": args[spec.name] = true
        case "object": args[spec.name] = ["k": "v"]
        case "array": args[spec.name] = ["a"]
        default: args[spec.name] = .string("\(spec.name)-value")
        }
    }
    return args
}

/// Collects log lines in memory.
final class CapturedLogs: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ s: String) { lock.lock(); lines.append(s); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return lines }
}

struct CapturingLogHandler: LogHandler {
    let sink: CapturedLogs
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
        sink.append("\(event.level) \(event.message) \(event.metadata ?? [:]) \(self.metadata)")
    }
}

@Suite(.timeLimit(.minutes(1))) struct OperationTests {
    @Test func everyCatalogOperationReachesItsMethodAndPath() async throws {
        let server = try await TestServer { request, _ in
            request.method == "DELETE" ? TestResponse(status: 204, headers: [], chunks: []) : .json(#"{"ok":true}"#)
        }
        defer { Task { await server.stop() } }
        let client = makeClient(server)
        for op in Catalog.operations {
            let args = sampleArguments(for: op)
            let response = try await client.perform(op, arguments: args)
            #expect(response.body == (op.method == "DELETE" ? .null : ["ok": true]), "\(op.name)")
        }
        let requests = await server.requests()
        #expect(requests.count == 37)
        for (op, request) in zip(Catalog.operations, requests) {
            var path = "/v1" + op.path
            for p in op.parameters where p.location == .path { path = path.replacingOccurrences(of: "{\(p.name)}", with: "\(p.name)-value") }
            #expect(request.method == op.method, "\(op.name)")
            #expect(request.path == path, "\(op.name)")
            let query = op.parameters.filter { $0.location == .query && $0.required }
                .map { "\($0.name)=" + ($0.type == "integer" ? "7" : "\($0.name)-value") }.joined(separator: "&")
            #expect((request.query ?? "") == query, "\(op.name)")
            switch op.body?.contentType {
            case "application/json"?:
                var expected: [String: JSONValue] = [:]
                for f in op.body?.fields ?? [] where f.required { expected[f.name] = sampleArguments(for: op)[f.name] }
                #expect(try JSONValue(parsing: request.body) == .object(expected), "\(op.name)")
            case "multipart/form-data"?:
                #expect(try MultipartTestParser.parse(request)["content"]?.text == "content-value")
            case "text/plain"?:
                #expect(request.bodyText == "query-value")
            default:
                #expect(request.body.isEmpty, "\(op.name)")
            }
        }
    }

    @Test func connectionDroppedAfterTheRequestOnlyRetriesSafeMethods() async throws {
        let server = try await TestServer { request, index in
            index == 0 || request.method == "POST" ? .dropped : .json(prediction("p5", "processing"))
        }
        defer { Task { await server.stop() } }
        let client = makeClient(server)
        // GET: the server saw the first attempt but never answered; repeating it is harmless.
        let p = try await client.predictions.get("p5")
        #expect(p.status == .processing)
        // POST: the create may have happened, so it must not be sent again.
        await #expect {
            _ = try await client.predictions.create(version: "v", input: [:])
        } throws: { error in
            (error as? ReplicateError)?.kind == .network
        }
        let requests = await server.requests()
        #expect(requests.map(\.method) == ["GET", "GET", "POST"])
    }

    @Test func concurrentCallsShareThePool() async throws {
        let server = try await TestServer { request, _ in
            .json(prediction(String(request.path.split(separator: "/").last ?? ""), "processing"))
        }
        defer { Task { await server.stop() } }
        let client = makeClient(server)
        let ids = try await withThrowingTaskGroup(of: String.self) { group in
            for n in 0..<40 { group.addTask { try await client.predictions.get("p\(n)").id } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(ids == Set((0..<40).map { "p\($0)" }))
        #expect(await server.requests().count == 40)
    }

    @Test func rawPagesForDynamicCallers() async throws {
        let server = try await TestServer { request, _ in
            request.query == nil
                ? .json(#"{"next":"http://127.0.0.1:\#(request.header("Host")?.split(separator: ":").last ?? "0")/v1/trainings?cursor=b","previous":null,"results":[{"id":"t1"}]}"#)
                : .json(#"{"next":null,"previous":null,"results":[{"id":"t2","extra":[1,2]}]}"#)
        }
        defer { Task { await server.stop() } }
        let client = makeClient(server)
        let items = try await client.paginate("list_trainings", as: RawObject.self).collect().map(\.raw)
        #expect(items == [["id": "t1"], ["id": "t2", "extra": [1, 2]]])
        let op = try #require(Catalog.operation(named: "list_trainings"))
        let first = try await client.fetchPage(operation: op, arguments: [:], next: nil)
        let second = try await client.fetchPage(operation: op, arguments: [:], next: first["next"]?.stringValue)
        #expect(second["results"]?[0]?["id"] == "t2")
    }

    @Test func logsNeverContainTheToken() async throws {
        let sink = CapturedLogs()
        let server = try await TestServer { request, index in
            index == 0 ? .problem(503, title: "Busy \(request.header("Authorization") ?? "")", detail: "x") : .json(#"{"username":"alice"}"#)
        }
        defer { Task { await server.stop() } }
        var logger = Logger(label: "test") { _ in CapturingLogHandler(sink: sink) }
        logger.logLevel = .trace
        let client = ReplicateClient(
            configuration: ReplicateConfiguration(token: testToken, baseURL: server.baseURL, retryBaseDelay: 0.01, logger: logger))
        _ = try await client.account()
        let lines = sink.all
        #expect(lines.contains { $0.contains("GET /v1/account -> 200") })
        #expect(lines.allSatisfy { !$0.contains(testToken) })
    }
}
