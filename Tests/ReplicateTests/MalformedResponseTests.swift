import Foundation
import Testing

@testable import Replicate

/// Fuzzing: malformed answers from a server (the tiny TestServer on loopback) give
/// clear `ReplicateError`s and nothing else: no crash, no other error type, one line each.
@Suite("Malformed server responses", .timeLimit(.minutes(2)))
struct MalformedResponseTests {
    static let tenMB = 10 * 1024 * 1024

    /// A client that does not retry, so each case is one request.
    func client(_ server: TestServer) -> ReplicateClient {
        ReplicateClient(configuration: ReplicateConfiguration(token: testToken, baseURL: server.baseURL, requestTimeout: 20, maxRetries: 0, maxRefusedRetries: 0))
    }

    /// Serves `body` with `status` and `contentType` for every request.
    func serving(_ status: Int, _ contentType: String, _ body: Data) async throws -> TestServer {
        try await TestServer { _, _ in
            TestResponse(status: status, headers: [("Content-Type", contentType)], chunks: [(0, body)])
        }
    }

    /// Fetches a prediction and returns the error it fails with (nil when it succeeds).
    func failure(_ server: TestServer) async -> (any Error)? {
        do {
            _ = try await client(server).predictions.get("p1")
            return nil
        } catch {
            return error
        }
    }

    func expectClear(_ error: (any Error)?, kind: ReplicateError.Kind, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let e = error as? ReplicateError else {
            Issue.record("expected a ReplicateError, got \(String(describing: error))", sourceLocation: sourceLocation)
            return
        }
        #expect(e.kind == kind, "\(e)", sourceLocation: sourceLocation)
        #expect(e.description.contains(fragment), "\(e.description)", sourceLocation: sourceLocation)
        #expect(!e.description.contains("\n") && e.description.count < 600, "one short line: \(e.description)", sourceLocation: sourceLocation)
        #expect(!e.description.contains(testToken), sourceLocation: sourceLocation)
    }

    @Test("Truncated JSON is a validation error naming the problem")
    func truncated() async throws {
        let server = try await serving(200, "application/json", Data(#"{"id": "p1", "status": "succ"#.utf8))
        defer { Task { await server.stop() } }
        expectClear(await failure(server), kind: .validation, "the response was not valid JSON")
    }

    @Test("Wrong types: the field and the types are named")
    func wrongTypes() async throws {
        let server = try await serving(200, "application/json", Data(#"{"id": 5, "status": true, "urls": "nope"}"#.utf8))
        defer { Task { await server.stop() } }
        expectClear(await failure(server), kind: .validation, "Prediction.id: expected a string, got integer")
        let array = try await serving(200, "application/json", Data("[1, 2, 3]".utf8))
        defer { Task { await array.stop() } }
        expectClear(await failure(array), kind: .validation, "expected a JSON object")
        // The untyped path returns what came, for the caller to look at.
        let raw = try await client(server).perform("get_prediction", arguments: ["prediction_id": "p1"])
        #expect(raw.body["id"] == .int(5))
    }

    @Test("A 10 MB body: valid JSON is read whole; 10 MB of junk is a clear error")
    func tenMegabytes() async throws {
        let output = String(repeating: "x", count: Self.tenMB)
        let valid = Data(#"{"id": "p1", "status": "succeeded", "output": "\#(output)"}"#.utf8)
        let server = try await serving(200, "application/json", valid)
        defer { Task { await server.stop() } }
        let p = try await client(server).predictions.get("p1")
        #expect(p.status == .succeeded)
        #expect(p.raw["output"]?.stringValue?.utf8.count == Self.tenMB)

        var junk = Data(repeating: UInt8(ascii: "x"), count: Self.tenMB)
        junk.insert(UInt8(ascii: "{"), at: 0)
        let junkServer = try await serving(200, "application/json", junk)
        defer { Task { await junkServer.stop() } }
        expectClear(await failure(junkServer), kind: .validation, "the response was not valid JSON")
    }

    @Test("Invalid UTF-8 inside a JSON string is a clear error, not a crash")
    func invalidUTF8() async throws {
        var body = Data(#"{"id": "p"#.utf8)
        body += Data([0xFF, 0xC3, 0x28])
        body += Data(#"", "status": "succeeded"}"#.utf8)
        let server = try await serving(200, "application/json", body)
        defer { Task { await server.stop() } }
        expectClear(await failure(server), kind: .validation, "UTF-8")
    }

    @Test("An HTML error page from a proxy: its title, not its markup")
    func htmlErrorPage() async throws {
        let page = """
            <!DOCTYPE html>
            <html><head><meta charset="utf-8"><title>502 Bad Gateway</title>
            <style>body { font-family: sans-serif; }</style></head>
            <body><h1>Bad Gateway</h1><p>The proxy server received an invalid response from an upstream server.</p>
            \(String(repeating: "<div class=\"filler\">padding</div>\n", count: 200))</body></html>
            """
        let server = try await serving(502, "text/html; charset=utf-8", Data(page.utf8))
        defer { Task { await server.stop() } }
        let error = await failure(server)
        expectClear(error, kind: .http, "HTTP 502: 502 Bad Gateway (an HTML page, not a response from the API)")
        #expect((error as? ReplicateError)?.status == 502)
        #expect(!((error as? ReplicateError)?.description.contains("<") ?? true))

        // The same page with a 200 (a captive portal) where a prediction was expected.
        let portal = try await serving(200, "text/html", Data(page.utf8))
        defer { Task { await portal.stop() } }
        expectClear(await failure(portal), kind: .validation, "expected a JSON object for Prediction, got string")
    }

    @Test("An empty 200 and JSON labelled as text are clear errors")
    func emptyAndMislabelled() async throws {
        let empty = try await serving(200, "application/json", Data())
        defer { Task { await empty.stop() } }
        expectClear(await failure(empty), kind: .validation, "expected a JSON object for Prediction")
        let text = try await serving(200, "text/plain", Data(#"{"id": "p1", "status": "succeeded"}"#.utf8))
        defer { Task { await text.stop() } }
        expectClear(await failure(text), kind: .validation, "expected a JSON object for Prediction, got string")
    }

    @Test("Random bodies, statuses and content types: a prediction or a ReplicateError, nothing else")
    func randomResponses() async throws {
        let iterations = max(50, (ProcessInfo.processInfo.environment["KOSMO_FUZZ_ITERATIONS"].flatMap(Int.init) ?? 1500) / 5)
        let seed = ProcessInfo.processInfo.environment["KOSMO_FUZZ_SEED"].flatMap(UInt64.init) ?? 20261122
        var rng = SSEFuzzTests.Rng(seed: seed &+ 3)
        let good = Data(prediction("p1", "succeeded", output: #"["a", {"b": [1, 2.5, null]}]"#).utf8)
        var responses: [TestResponse] = []
        for _ in 0..<iterations {
            var body = good
            switch rng.int(0...5) {
            case 0: body = body.prefix(rng.int(0...body.count))  // truncated
            case 1:  // bytes changed
                for _ in 0..<rng.int(1...8) where !body.isEmpty { body[rng.int(0...body.count - 1)] = UInt8(rng.int(0...255)) }
            case 2: body = Data((0..<rng.int(0...400)).map { _ in UInt8(rng.int(0...255)) })  // noise
            case 3:  // a byte from the structure set inserted
                let structure = Array("{}[]\",:\\0".utf8)
                for _ in 0..<rng.int(1...4) { body.insert(structure[rng.int(0...structure.count - 1)], at: rng.int(0...body.count)) }
            default: break
            }
            let status = [200, 200, 200, 201, 400, 404, 422, 500, 502][rng.int(0...8)]
            let type = ["application/json", "application/problem+json", "text/html", "text/plain", "application/octet-stream", ""][rng.int(0...5)]
            responses.append(TestResponse(status: status, headers: type.isEmpty ? [] : [("Content-Type", type)], chunks: [(0, body)]))
        }
        let all = responses
        let server = try await TestServer { _, index in all[index % all.count] }
        defer { Task { await server.stop() } }
        let client = client(server)
        var kinds: [String: Int] = [:]
        for i in 0..<iterations {
            do {
                _ = try await client.predictions.get("p1")
                kinds["ok", default: 0] += 1
            } catch let e as ReplicateError {
                kinds[e.kind.rawValue, default: 0] += 1
                #expect(!e.description.contains("\n"), "response \(i): \(e.description)")
            } catch {
                Issue.record("response \(i) (seed \(seed &+ 3)): not a ReplicateError: \(error)")
            }
        }
        #expect((kinds["ok"] ?? 0) > 0 && (kinds["validation"] ?? 0) > 0 && (kinds["http"] ?? 0) > 0, "\(kinds)")
        print("fuzz malformed responses: \(iterations) responses, outcomes \(kinds), seed \(seed &+ 3)")
    }
}
