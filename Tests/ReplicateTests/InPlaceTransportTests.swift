import Foundation
import Testing

@testable import Replicate

/// Requests sent in place (`performInPlace`, libcurl on the calling thread) against the tiny
/// TestServer: the same request on the wire, the same answers and errors as `perform`
/// (AsyncHTTPClient), and a caller's stop check that ends a wait.
@Suite(.timeLimit(.minutes(1))) struct InPlaceTransportTests {
    static let version = "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa"
    static var never: StopCheck { StopCheck(shouldStop: { false }, secondsLeft: { nil }) }

    /// Both ways of sending one prepared request; in place runs on a thread of its own, as a
    /// script's thread would (it blocks).
    func both(_ client: ReplicateClient, _ operation: String, _ arguments: [String: JSONValue],
              stop: StopCheck = never) async throws -> (async: Result<APIResponse, any Error>, inPlace: Result<APIResponse, any Error>) {
        let prepared = try client.prepare(Catalog.require(operation), arguments: arguments)
        let viaAsync: Result<APIResponse, any Error>
        do { viaAsync = .success(try await client.perform(prepared)) } catch { viaAsync = .failure(error) }
        let viaInPlace = try await inPlace(client, prepared, stop: stop)
        return (viaAsync, viaInPlace)
    }

    func inPlace(_ client: ReplicateClient, _ prepared: PreparedRequest, stop: StopCheck = never) async throws -> Result<APIResponse, any Error> {
        let box = ResultBox()
        // Used only on the thread below, as a script's thread would use it.
        nonisolated(unsafe) let stop = stop
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let thread = Thread {
                do {
                    guard let response = try client.performInPlace(prepared, stop: stop) else {
                        box.result = .failure(InPlaceUnavailable())
                        done.resume()
                        return
                    }
                    box.result = .success(response)
                } catch {
                    box.result = .failure(error)
                }
                done.resume()
            }
            thread.start()
        }
        return try #require(box.result)
    }

    struct InPlaceUnavailable: Error {}

    /// Whether `result` failed with an error of type `type`.
    func failed<E: Error>(_ result: Result<APIResponse, any Error>, with type: E.Type) -> Bool {
        if case .failure(let error) = result { return error is E }
        return false
    }
    final class ResultBox: @unchecked Sendable { var result: Result<APIResponse, any Error>? }

    @Test func theSameRequestGoesOutAndTheSameAnswerComesBack() async throws {
        let server = try await TestServer { _, _ in
            .json(prediction("p 1", "starting"), headers: [("X-Trace", "t1")])
        }
        defer { Task { await server.stop() } }
        let client = makeClient(server)
        let (viaAsync, viaInPlace) = try await both(client, "get_prediction", ["prediction_id": .string("p 1")])
        let a = try viaAsync.get(), b = try viaInPlace.get()
        #expect(a.status == 200 && b.status == 200)
        #expect(a.body == b.body)
        #expect(a.json == b.json && b.json != nil)
        #expect(b.header("x-trace") == "t1")
        let requests = await server.requests()
        try #require(requests.count == 2)
        let (sentAsync, sentInPlace) = (requests[0], requests[1])
        #expect(sentAsync.method == sentInPlace.method && sentInPlace.method == "GET")
        #expect(sentInPlace.uri == "/v1/predictions/p%201" && sentAsync.uri == sentInPlace.uri)
        func headerSet(_ r: RecordedRequest) -> Set<String> { Set(r.headers.map { "\($0.0.lowercased()): \($0.1)" }) }
        #expect(headerSet(sentAsync) == headerSet(sentInPlace))
        #expect(sentInPlace.header("Authorization") == "Bearer \(testToken)")
        #expect(sentInPlace.header("Accept") == "application/json")
    }

    @Test func onlyIdempotentRequestsAreSentInPlace() async throws {
        let server = try await TestServer { request, _ in
            request.method == "DELETE" ? TestResponse(status: 204) : .json(prediction("p1", "starting"), status: 201)
        }
        defer { Task { await server.stop() } }
        let client = makeClient(server)
        let create = try client.prepare(Catalog.require("create_prediction"), arguments: ["version": .string(Self.version), "input": .object([:])])
        let declined = try await inPlace(client, create)
        #expect(failed(declined, with: InPlaceUnavailable.self), "\(declined)")
        #expect(await server.requests().isEmpty)
        let delete = try client.prepare(Catalog.require("delete_file"), arguments: ["file_id": .string("f1")])
        #expect(try await inPlace(client, delete).get().status == 204)
        #expect(await server.requests().map(\.method) == ["DELETE"])
    }

    @Test func refusalsAndLostAnswersAreRetried() async throws {
        let server = try await TestServer { _, index in
            switch index {
            case 0, 1: return .problem(503, title: "Unavailable", detail: "try again")
            case 2: return .dropped
            default: return .json(#"{"type":"user","username":"alice","name":"Alice"}"#)
            }
        }
        defer { Task { await server.stop() } }
        let client = makeClient(server)
        let account = try await inPlace(client, client.prepare(Catalog.require("get_account"), arguments: [:])).get()
        #expect(account.body["username"]?.stringValue == "alice")
        #expect(await server.requests().count == 4)
    }

    @Test func errorsMatchTheAsyncPath() async throws {
        let answers: [TestResponse] = [
            .json(#"{"id": "p1", "status": "#),
            TestResponse(status: 502, headers: [("Content-Type", "text/html")], chunks: [(0, Data("<html><body>Bad gateway</body></html>".utf8))]),
            TestResponse(status: 200, headers: [("Content-Type", "application/json")], chunks: [(0, Data([0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x3A, 0x31, 0x7D]))]),
            .problem(404, title: "Not found", detail: "Echo: \(testToken)"),
        ]
        for answer in answers {
            let server = try await TestServer { _, _ in answer }
            let client = ReplicateClient(configuration: ReplicateConfiguration(token: testToken, baseURL: server.baseURL, maxRetries: 0, maxRefusedRetries: 0))
            let (viaAsync, viaInPlace) = try await both(client, "get_prediction", ["prediction_id": .string("p1")])
            guard case .failure(let a as ReplicateError) = viaAsync, case .failure(let b as ReplicateError) = viaInPlace else {
                Issue.record("expected two ReplicateErrors, got \(viaAsync) and \(viaInPlace)")
                await server.stop()
                continue
            }
            #expect(a.kind == b.kind && a.status == b.status && a.message == b.message, "\(a) vs \(b)")
            #expect(!b.description.contains(testToken))
            await server.stop()
        }
    }

    @Test func aSlowAnswerTimesOut() async throws {
        let server = try await TestServer { _, _ in .late(3) }
        defer { Task { await server.stop() } }
        let client = makeClient(server, maxRetries: 0, requestTimeout: 0.3)
        let started = Date()
        let result = try await inPlace(client, client.prepare(Catalog.require("get_account"), arguments: [:]))
        guard case .failure(let error as ReplicateError) = result else {
            Issue.record("expected a timeout, got \(result)")
            return
        }
        #expect(error.kind == .timeout, "\(error)")
        // Only the 0.3 s request timeout can end the call (loose under load).
        #expect(Date().timeIntervalSince(started) < 2.5)
    }

    @Test func theCallersStopCheckEndsAWait() async throws {
        let server = try await TestServer { _, _ in .late(20) }
        defer { Task { await server.stop() } }
        let client = makeClient(server, maxRetries: 0, requestTimeout: 30)
        let prepared = try client.prepare(Catalog.require("get_account"), arguments: [:])

        // Ctrl-C a moment into the wait: curl asks the check while it waits (about once a second
        // when nothing arrives).
        let pressed = Date().addingTimeInterval(0.2)
        var started = Date()
        let interrupted = try await inPlace(client, prepared, stop: StopCheck(shouldStop: { Date() >= pressed }, secondsLeft: { nil }))
        #expect(failed(interrupted, with: Stopped.self), "\(interrupted)")
        #expect(Date().timeIntervalSince(started) < 5)

        // A deadline 0.3 s away: the exchange is given no longer than that.
        let deadline = Date().addingTimeInterval(0.3)
        started = Date()
        let late = try await inPlace(client, prepared, stop: StopCheck(shouldStop: { Date() >= deadline }, secondsLeft: { deadline.timeIntervalSinceNow }))
        #expect(failed(late, with: Stopped.self), "\(late)")
        #expect(Date().timeIntervalSince(started) < 2.5)
    }

    @Test func responseHeadersAreReadFromTheLastResponsesBlock() {
        let block = "HTTP/1.1 200 OK\r\nContent-Type:  application/json \r\nX-Empty:\r\nLocation: http://a/b?c=d:e\r\nno colon here\r\n\r\n"
        let headers = Array(block.utf8).withUnsafeBytes { CurlConnection.parseHeaders($0) }
        #expect(headers.map { "\($0.0)=\($0.1)" } == ["Content-Type=application/json", "X-Empty=", "Location=http://a/b?c=d:e"])
        #expect(CurlConnection.parseHeaders(UnsafeRawBufferPointer(start: nil, count: 0)).isEmpty)
    }

    @Test func aConnectionInUseOnAnotherThreadSendsTheAsyncWay() async throws {
        let server = try await TestServer { _, _ in .json(#"{"type":"user","username":"alice","name":"Alice"}"#) }
        defer { Task { await server.stop() } }
        let client = makeClient(server)
        let prepared = try client.prepare(Catalog.require("get_account"), arguments: [:])
        let held = try #require(client.transport.inPlace.acquire(), "libcurl is installed here (make deps)")
        let result = try await inPlace(client, prepared)
        #expect(failed(result, with: InPlaceUnavailable.self), "\(result)")
        client.transport.inPlace.release(held)
        #expect(try await inPlace(client, prepared).get().body["username"]?.stringValue == "alice")
        #expect(await server.requests().count == 1)
    }
}
