import Foundation
import Logging
import Testing

@testable import Replicate

/// The one retry engine: its budgets and waits on their own, then the loops that ask it (an
/// event stream's reconnection, a download) over loopback, and what `shutdown()` closes.
@Suite(.timeLimit(.minutes(1))) struct RetryEngineTests {
    static let url = URL(string: "http://127.0.0.1:1/v1/account")!
    static let configuration = ReplicateConfiguration(maxRetries: 2, maxRefusedRetries: 4, retryBaseDelay: 0.01, maxRetryDelay: 0.5)

    static func engine(_ method: String = "GET", rules: RetryRules = .requests(configuration)) -> RetryEngine {
        RetryEngine(rules, method: method, url: url, logger: Logger(label: "test"))
    }

    static let dropped = ReplicateError(kind: .network, message: "GET /v1/account: connection reset")
    static let slow = ReplicateError(kind: .timeout, message: "GET /v1/account: no response within 1 s")

    /// How many retries the engine allows in a row for the same outcome, up to `limit`.
    static func retries(_ engine: inout RetryEngine, limit: Int = 50, _ verdict: (inout RetryEngine) -> RetryVerdict) -> Int {
        for count in 0..<limit {
            guard case .retry = verdict(&engine) else { return count }
        }
        return limit
    }

    @Test func refusalsAndFailuresHaveBudgetsApart() {
        var e = Self.engine()
        #expect(Self.retries(&e) { $0.verdict(status: 429, retryAfter: nil) } == 4)
        #expect(e.verdict(status: 503, retryAfter: nil) == .spent)
        // The refusals spent nothing of the failures' budget.
        #expect(Self.retries(&e) { $0.verdict(status: 502, retryAfter: nil) } == 2)
        #expect(e.verdict(failure: Self.dropped) == .spent)

        var n = Self.engine()
        #expect(Self.retries(&n) { $0.verdict(failure: Self.dropped) } == 2)
        #expect(n.verdict(status: 500, retryAfter: nil) == .spent)
        #expect(n.verdict(status: 404, retryAfter: nil) == .final)
        #expect(n.verdict(status: 200, retryAfter: nil) == .final)
    }

    @Test func aPostIsRepeatedOnlyWhenRefused() throws {
        var e = Self.engine("POST")
        #expect(e.verdict(status: 500, retryAfter: nil) == .final)
        #expect(e.verdict(status: 504, retryAfter: nil) == .final)
        guard case .retry = e.verdict(status: 429, retryAfter: nil) else { throw Failure("a refused POST is retried") }
        #expect(e.verdict(failure: Self.dropped) == .final)
        #expect(throws: ReplicateError.self) { try e.delay(after: Self.dropped) }
        do {
            _ = try e.delay(after: Self.dropped)
        } catch let error as ReplicateError {
            #expect(error.message.hasSuffix("(not retried: the server may have carried out this POST before the connection failed)"))
        }
        // A timeout is not repeated for a request, whatever its method; the message stays.
        var get = Self.engine()
        #expect(get.verdict(failure: Self.slow) == .final)
        #expect(get.surfaced(Self.slow).message == Self.slow.message)
    }

    @Test func retryAfterWinsAndEveryWaitIsCapped() throws {
        var e = Self.engine()
        #expect(e.verdict(status: 429, retryAfter: "0.3") == .retry(after: 0.3))
        #expect(e.verdict(status: 503, retryAfter: "3600") == .retry(after: 0.5))
        #expect(e.verdict(status: 503, retryAfter: "0.2", serverDelay: 0.1) == .retry(after: 0.2))
        #expect(e.verdict(status: 429, retryAfter: "soon", serverDelay: 99) == .retry(after: 0.5))
        guard case .retry(let backoff) = e.verdict(failure: Self.dropped) else { throw Failure("a dropped GET is retried") }
        #expect(backoff >= 0 && backoff <= 0.5)
    }

    @Test func aStreamHasOneBudgetThatEachEventRestarts() {
        let rules = RetryRules.stream(StreamOptions(maxReconnects: 3, reconnectDelay: 0.05, maxReconnectDelay: 2))
        var e = Self.engine(rules: rules)
        // Drops, timeouts and refusals count together; the wait is the stream's own.
        #expect(e.verdict(failure: Self.dropped) == .retry(after: 0.05))
        #expect(e.verdict(failure: Self.slow) == .retry(after: 0.05))
        #expect(e.verdict(status: 429, retryAfter: nil) == .retry(after: 0.05))
        #expect(e.verdict(status: 503, retryAfter: nil) == .spent)
        e.progressed()
        #expect(e.verdict(failure: Self.dropped, serverDelay: 5) == .retry(after: 2))
        #expect(e.verdict(status: 503, retryAfter: "1", serverDelay: 0.1) == .retry(after: 1))
        #expect(e.verdict(status: 401, retryAfter: nil) == .final)
    }

    @Test func waitsFromOutsideAreClampedBeforeTheyBecomeNanoseconds() {
        #expect(RetryEngine.nanoseconds(-1) == 0)
        #expect(RetryEngine.nanoseconds(.nan) == 0)
        #expect(RetryEngine.nanoseconds(.infinity) > 0)
        #expect(RetryEngine.nanoseconds(0.25) == 250_000_000)
        #expect(RetryPolicy.backoff(attempt: 5000, base: 1, cap: .infinity).isInfinite)
        #expect(RetryPolicy.backoff(attempt: 0, base: 0, cap: 1) == 0)
    }

    // MARK: The loops, over loopback

    static let sse: [(String, String)] = [("Content-Type", "text/event-stream")]
    static let events = "id: 1\nevent: output\ndata: hi\n\nevent: done\ndata: {}\n\n"

    @Test func aStreamReconnectionWaitsForTheServersRetryAfter() async throws {
        let server = try await TestServer { _, index in
            index == 0
                ? .problem(503, title: "Unavailable", detail: "come back in a second", headers: [("Retry-After", "1")])
                : TestResponse(status: 200, headers: Self.sse, chunks: [(0, Data(Self.events.utf8))])
        }
        defer { Task { await server.stop() } }
        let started = Date()
        // The stream's own delay is 10 ms: only the server's Retry-After makes it wait a second.
        let stream = makeClient(server).stream(url: URL(string: "\(server.origin)/stream")!, options: .init(maxReconnects: 2, reconnectDelay: 0.01))
        var seen: [String] = []
        for try await event in stream { seen.append(event.event) }
        let elapsed = Date().timeIntervalSince(started)
        #expect(seen == ["output", "done"])
        #expect(elapsed >= 0.95, "reconnected after \(elapsed) s, Retry-After said 1 s")
        #expect(elapsed < 30, "far below any cap (loose under load)")
        #expect(await server.requests().count == 2)
    }

    @Test func aStreamsRetryAfterIsCappedAtItsMaxReconnectDelay() async throws {
        let server = try await TestServer { _, index in
            index == 0
                ? .json(#"{"detail":"slow down"}"#, status: 429, headers: [("Retry-After", "3600")])
                : TestResponse(status: 200, headers: Self.sse, chunks: [(0, Data(Self.events.utf8))])
        }
        defer { Task { await server.stop() } }
        let started = Date()
        let options = StreamOptions(maxReconnects: 2, reconnectDelay: 0.01, maxReconnectDelay: 0.2)
        var seen: [String] = []
        for try await event in makeClient(server).stream(url: URL(string: "\(server.origin)/stream")!, options: options) { seen.append(event.event) }
        #expect(seen == ["output", "done"])
        // An hour asked for; the 0.2 s cap holds (loose under load).
        #expect(Date().timeIntervalSince(started) < 30)
    }

    @Test func aStreamThatKeepsFailingGivesUpWithoutTheToken() async throws {
        let server = try await TestServer { request, _ in
            .problem(502, title: "Bad gateway", detail: "you sent \(request.header("Authorization") ?? "")")
        }
        defer { Task { await server.stop() } }
        let stream = makeClient(server).stream(url: URL(string: "\(server.origin)/v1/streams/p1")!, options: .init(maxReconnects: 2, reconnectDelay: 0.01))
        await #expect {
            for try await _ in stream {}
        } throws: { error in
            let e = error as? ReplicateError
            return e?.status == 502 && "\(error)".contains("gave up after 2 reconnections") && !"\(error)".contains(testToken)
                && e?.detail?.contains(testToken) == false
        }
        #expect(await server.requests().count == 3)
    }

    @Test func aDownloadWaitsForRetryAfterThenSucceeds() async throws {
        let server = try await TestServer { _, index in
            index == 0
                ? TestResponse(status: 503, headers: [("Retry-After", "1")], chunks: [(0, Data("busy".utf8))])
                : TestResponse(status: 200, headers: [("Content-Type", "text/plain")], chunks: [(0, Data("bytes".utf8))])
        }
        defer { Task { await server.stop() } }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("replicate-retry-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let target = dir.appendingPathComponent("out.txt").path
        let started = Date()
        let result = try await makeClient(server).download(url: URL(string: "\(server.origin)/out.txt")!, to: target)
        let elapsed = Date().timeIntervalSince(started)
        #expect(result.bytes == 5)
        #expect(FileManager.default.contents(atPath: target) == Data("bytes".utf8))
        #expect(elapsed >= 0.95, "retried after \(elapsed) s, Retry-After said 1 s")
        #expect(elapsed < 30)
        #expect(await server.requests().count == 2)
    }

    // MARK: shutdown

    @Test func shutdownClosesTheInPlaceConnection() async throws {
        let server = try await TestServer { _, _ in .json(#"{"type":"user","username":"alice"}"#) }
        defer { Task { await server.stop() } }
        let client = makeClient(server)
        let prepared = try client.prepare(Catalog.require("get_account"), arguments: [:])
        let helper = InPlaceTransportTests()
        let before = try await helper.inPlace(client, prepared)
        // Where libcurl is missing nothing is sent in place at all; the rest still holds.
        let curl = CurlConnection.libraryLoaded
        if curl { #expect(try before.get().status == 200) }
        try await client.shutdown()
        try await client.shutdown()  // a second time does nothing more
        #expect(helper.failed(try await helper.inPlace(client, prepared), with: InPlaceTransportTests.InPlaceUnavailable.self))
        // The shared pools are not the client's to close: `perform` still answers.
        #expect(try await client.perform(prepared).status == 200)
        #expect(await server.requests().count == (curl ? 2 : 1))
    }

    @Test func aConnectionInUseWhenClosedIsClosedWhenGivenBack() throws {
        let connections = InPlaceConnections()
        guard let connection = connections.acquire() else { return }  // no libcurl here
        connections.close()
        #expect(connections.acquire() == nil)
        connections.release(connection)
        #expect(connections.acquire() == nil)
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
