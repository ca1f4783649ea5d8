import Foundation
import Testing

@testable import Replicate

let testToken = "r8_TESTtokenDoNotLeak0123456789abcdef"

func makeClient(_ server: TestServer, token: String? = testToken, maxRetries: Int = 3, requestTimeout: TimeInterval = 10) -> ReplicateClient {
    ReplicateClient(
        configuration: ReplicateConfiguration(
            token: token, baseURL: server.baseURL, requestTimeout: requestTimeout, maxRetries: maxRetries, retryBaseDelay: 0.01, maxRetryDelay: 3))
}

func prediction(_ id: String, _ status: String, output: String = "null", error: String = "null", stream: String? = nil, origin: String = "https://api.replicate.com") -> String {
    let streamURL = stream.map { #","stream":"\#($0)""# } ?? ""
    return #"{"id":"\#(id)","model":"replicate/hello-world","version":"5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa","input":{"text":"Alice"},"output":\#(output),"error":\#(error),"logs":"","status":"\#(status)","created_at":"2026-11-22T01:00:00.123456Z","urls":{"get":"\#(origin)/v1/predictions/\#(id)","cancel":"\#(origin)/v1/predictions/\#(id)/cancel"\#(streamURL)}}"#
}

@Suite(.timeLimit(.minutes(1))) struct LoopbackTests {
    @Test func retryAfterOn429IsHonoured() async throws {
        let server = try await TestServer { _, index in
            index == 0
                ? .json(#"{"detail":"Request was throttled. Your rate limit resets in ~1s."}"#, status: 429, headers: [("Retry-After", "1")])
                : .json(prediction("p1", "starting"), status: 201)
        }
        defer { Task { await server.stop() } }
        let client = makeClient(server)
        let started = Date()
        // A POST: a throttled request did not run, so even a create is retried.
        let p = try await client.predictions.create(version: "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa", input: ["text": "Alice"])
        let elapsed = Date().timeIntervalSince(started)
        #expect(p.id == "p1")
        #expect(elapsed >= 0.95, "waited \(elapsed) s, Retry-After said 1 s")
        // Far below the cap: the 1 s Retry-After was used, not a long default (loose under load).
        #expect(elapsed < 10)
        let requests = await server.requests()
        #expect(requests.count == 2)
        #expect(requests.allSatisfy { $0.method == "POST" && $0.path == "/v1/predictions" })
    }

    @Test func retryAfterIsCappedAndTheLast429Surfaces() async throws {
        let server = try await TestServer { _, _ in
            .json(#"{"detail":"slow down"}"#, status: 429, headers: [("Retry-After", "3600")])
        }
        defer { Task { await server.stop() } }
        let client = ReplicateClient(
            configuration: ReplicateConfiguration(token: testToken, baseURL: server.baseURL, maxRetries: 0, maxRefusedRetries: 2, retryBaseDelay: 0.01, maxRetryDelay: 0.2))
        let started = Date()
        await #expect {
            _ = try await client.account()
        } throws: { error in
            let e = error as? ReplicateError
            return e?.kind == .http && e?.status == 429 && e?.retryAfter == 3600 && e?.detail == "slow down"
        }
        // Retry-After said an hour; the 0.2 s cap makes two retries take well under a minute.
        #expect(Date().timeIntervalSince(started) < 30)
        #expect(await server.requests().count == 3)
    }

    @Test func getIsRetriedOn503() async throws {
        let server = try await TestServer { request, index in
            index < 2 ? .problem(503, title: "Unavailable", detail: "try again") : .json(#"{"type":"user","username":"alice","name":"Alice"}"#)
        }
        defer { Task { await server.stop() } }
        let account = try await makeClient(server).account()
        #expect(account.username == "alice")
        let requests = await server.requests()
        #expect(requests.count == 3)
        #expect(requests.allSatisfy { $0.method == "GET" && $0.path == "/v1/account" })
        #expect(requests[0].header("Authorization") == "Bearer \(testToken)")
        #expect(requests[0].header("User-Agent") == "kosmo-lua/0.1.0 (Swift; Linux)")
    }

    @Test func postIsNotRetriedOn500() async throws {
        let server = try await TestServer { _, _ in .problem(500, title: "Internal Server Error", detail: "boom") }
        defer { Task { await server.stop() } }
        await #expect {
            _ = try await makeClient(server).predictions.create(model: "meta/llama", input: ["prompt": "hi"])
        } throws: { error in
            let e = error as? ReplicateError
            return e?.kind == .http && e?.status == 500 && e?.title == "Internal Server Error" && e?.operation == "create_model_prediction"
        }
        #expect(await server.requests().count == 1)
    }

    @Test func slowResponseTimesOut() async throws {
        let server = try await TestServer { _, _ in .late(3) }
        defer { Task { await server.stop() } }
        let client = makeClient(server, maxRetries: 0, requestTimeout: 0.3)
        let started = Date()
        await #expect {
            _ = try await client.account()
        } throws: { error in
            (error as? ReplicateError)?.kind == .timeout
        }
        // The server never answers: only the 0.3 s request timeout can end the call (loose under load).
        #expect(Date().timeIntervalSince(started) < 10)
    }

    @Test func connectionRefusedIsANetworkErrorWithoutTheToken() async throws {
        // Bind a port, then free it, so nothing listens there.
        let server = try await TestServer { _, _ in .json("{}") }
        let url = server.baseURL
        await server.stop()
        try await Task.sleep(nanoseconds: 50_000_000)
        // AsyncHTTPClient keeps re-dialling until the connect timeout, so keep that short.
        let client = ReplicateClient(
            configuration: ReplicateConfiguration(token: testToken, baseURL: url, connectTimeout: 0.3, maxRetries: 1, retryBaseDelay: 0.01))
        let started = Date()
        do {
            _ = try await client.account()
            Issue.record("expected a connection failure")
        } catch let e as ReplicateError {
            #expect(e.kind == .network || e.kind == .timeout, "\(e)")
            #expect(!e.description.contains(testToken))
            print("connection refused surfaced as: \(e)")
        }
        // Bounded by the 0.3 s connect timeout and one retry, not a default minute (loose under load).
        #expect(Date().timeIntervalSince(started) < 15)
        try await client.shutdown()
    }

    @Test func aTokenTooShortToBeASecretLeavesMessagesAsTheyAre() async throws {
        let server = try await TestServer { _, _ in .problem(404, title: "Not found", detail: "Model not found") }
        defer { Task { await server.stop() } }
        let client = makeClient(server, token: "e")
        do {
            _ = try await client.perform("get_account")
            Issue.record("expected an error")
        } catch let e as ReplicateError {
            #expect(e.detail == "Model not found", "\(e)")
            #expect(!e.description.contains("[REDACTED]"), "\(e)")
        }
        try await client.shutdown()
    }

    @Test func tokenNeverAppearsInErrors() async throws {
        // A hostile or buggy server that echoes the Authorization header back.
        let server = try await TestServer { request, _ in
            let auth = request.header("Authorization") ?? ""
            return .problem(401, title: "Unauthenticated \(auth)", detail: "You sent \(auth)")
        }
        defer { Task { await server.stop() } }
        let client = makeClient(server)
        do {
            _ = try await client.perform("get_account")
            Issue.record("expected an error")
        } catch let e as ReplicateError {
            #expect(e.status == 401)
            for text in [e.description, e.message, e.title ?? "", e.detail ?? "", String(reflecting: e), e.localizedDescription] {
                #expect(!text.contains(testToken), "leaked in: \(text)")
            }
            #expect(e.description.contains("[REDACTED]"))
            #expect(!e.description.contains("\n"))
        }
        #expect(!"\(client.configuration)".contains(testToken))
    }

    @Test func preferWaitAndCancelAfterAreSentAsSpecified() async throws {
        let server = try await TestServer { request, _ in .json(prediction("p1", "succeeded", output: #""hello Alice""#), status: 201) }
        defer { Task { await server.stop() } }
        let client = makeClient(server)
        _ = try await client.predictions.create(model: "replicate/hello-world", input: ["text": "Alice"], options: .init(wait: .seconds(5), cancelAfter: "2m"))
        _ = try await client.predictions.create(version: "abc", input: [:], options: .init(wait: .untilDone, webhook: "https://example.com/hook", webhookEventsFilter: ["start", "completed"]))
        _ = try await client.deployments.createPrediction(deployment: "acme/app", input: ["x": 1], options: .init(cancelAfter: "45"))
        _ = try await client.perform("create_prediction", arguments: ["version": "abc", "input": [:], "wait": 60, "cancel_after": 90])
        let r = await server.requests()
        #expect(r.count == 4)
        #expect(r[0].path == "/v1/models/replicate/hello-world/predictions")
        #expect(r[0].header("Prefer") == "wait=5")
        #expect(r[0].header("Cancel-After") == "2m")
        #expect(try JSONValue(parsing: r[0].body) == ["input": ["text": "Alice"]])
        #expect(r[1].header("Prefer") == "wait")
        #expect(r[1].header("Cancel-After") == nil)
        #expect(try JSONValue(parsing: r[1].body) == ["version": "abc", "input": [:], "webhook": "https://example.com/hook", "webhook_events_filter": ["start", "completed"]])
        #expect(r[2].path == "/v1/deployments/acme/app/predictions")
        #expect(r[2].header("Prefer") == nil)
        #expect(r[2].header("Cancel-After") == "45")
        #expect(r[3].header("Prefer") == "wait=60")
        #expect(r[3].header("Cancel-After") == "90s")
        #expect(r[3].header("Content-Type") == "application/json")
    }

    @Test func runReturnsOutputAfterPolling() async throws {
        let server = try await TestServer { request, index in
            switch index {
            case 0: return .json(prediction("p1", "starting"), status: 201)
            case 1: return .json(prediction("p1", "processing"))
            default: return .json(prediction("p1", "succeeded", output: #"["a.png","b.png"]"#))
            }
        }
        defer { Task { await server.stop() } }
        let output = try await makeClient(server).run("replicate/hello-world", input: ["text": "Alice"])
        #expect(output == ["a.png", "b.png"])
        let r = await server.requests()
        #expect(r.map(\.method) == ["POST", "GET", "GET"])
        #expect(r[1].path == "/v1/predictions/p1")
    }

    @Test(arguments: ["failed", "canceled", "aborted"])
    func unsuccessfulPredictionsSurfaceAsModelErrors(status: String) async throws {
        let server = try await TestServer { request, index in
            index == 0
                ? .json(prediction("p9", "starting"), status: 201)
                : .json(prediction("p9", status, error: status == "failed" ? #""CUDA out of memory""# : "null"))
        }
        defer { Task { await server.stop() } }
        let hex = String(repeating: "0f", count: 32)
        do {
            _ = try await makeClient(server).run(hex, input: ["x": 1])
            Issue.record("run should throw for \(status)")
        } catch let e as ReplicateError {
            #expect(e.kind == .model)
            #expect(e.prediction?["status"] == .string(status))
            #expect(e.prediction?["id"] == "p9")
            #expect(e.description.contains(status))
            if status == "failed" { #expect(e.description.contains("CUDA out of memory")) }
        }
        let r = await server.requests()
        #expect(try JSONValue(parsing: r[0].body)["version"] == .string(hex))
    }

    @Test func pinnedModelVersionRunsThroughPredictionsAndTrainingsWait() async throws {
        let hex = String(repeating: "ab", count: 32)
        let server = try await TestServer { request, index in
            if request.path.hasPrefix("/v1/trainings/") {
                return .json(#"{"id":"t1","status":"\#(index < 2 ? "processing" : "succeeded")","output":{"version":"new","weights":"w"}}"#)
            }
            return .json(prediction("p6", "succeeded", output: "42"), status: 201)
        }
        defer { Task { await server.stop() } }
        let client = makeClient(server)
        #expect(try await client.run("acme/model:\(hex)", input: [:]) == 42)
        let training = try Training(json: ["id": "t1", "status": "starting"])
        let done = try await client.wait(for: training, pollInterval: 0.02)
        #expect(done.status == .succeeded && done.output?["version"] == "new")
        let r = await server.requests()
        #expect(r[0].path == "/v1/predictions")
        #expect(try JSONValue(parsing: r[0].body)["version"] == .string(hex))
        #expect(r.dropFirst().allSatisfy { $0.path == "/v1/trainings/t1" })
    }

    @Test func syncModeRunSkipsPolling() async throws {
        let server = try await TestServer { _, _ in .json(prediction("p2", "succeeded", output: #""done""#), status: 201) }
        defer { Task { await server.stop() } }
        let out = try await makeClient(server).run(.deployment(owner: "acme", name: "app"), input: [:], options: .init(wait: .seconds(30)))
        #expect(out == "done")
        let r = await server.requests()
        #expect(r.count == 1)
        #expect(r[0].header("Prefer") == "wait=30")
    }

    @Test func waitTimesOutAndCancellationCancelsRemotely() async throws {
        let server = try await TestServer { request, _ in
            request.path.hasSuffix("/cancel") ? .json(prediction("p3", "canceled")) : .json(prediction("p3", "processing"))
        }
        defer { Task { await server.stop() } }
        let client = makeClient(server)
        let start = try Prediction(json: JSONValue(parsing: prediction("p3", "starting")))
        await #expect {
            _ = try await client.wait(for: start, timeout: 0.3, pollInterval: 0.05)
        } throws: { error in
            let e = error as? ReplicateError
            return e?.kind == .timeout && e?.prediction?["id"] == "p3"
        }
        let task = Task { try await client.wait(for: start, pollInterval: 0.05) }
        try await Task.sleep(nanoseconds: 200_000_000)
        task.cancel()
        _ = await task.result
        let cancels = await server.requests().filter { $0.method == "POST" && $0.path == "/v1/predictions/p3/cancel" }
        #expect(cancels.count == 1)
    }

    @Test func sseStreamCutMidwayResumesWithLastEventID() async throws {
        let server = try await TestServer { request, index in
            let sse: [(String, String)] = [("Content-Type", "text/event-stream")]
            if request.path == "/v1/predictions/p4" {
                return .json(prediction("p4", "processing"))
            }
            if request.header("Last-Event-ID") == nil {
                // First connection: two events, a keep-alive, half an event, then the line goes dead.
                return TestResponse(
                    status: 200, headers: sse,
                    chunks: [
                        (0, Data("id: 1\nevent: output\ndata: Hel\n\n".utf8)),
                        (0.02, Data(": keep-alive\n\nid: 2\nevent: output\ndata: lo\n".utf8)),
                        (0.02, Data("data:  wor\n\nid: 3\nevent: out".utf8)),
                    ], cut: true)
            }
            // Resume after the last event the client saw. (Under load the client may not have
            // read event 2 before the line died; then it resumes from 1 and gets 2 again here.)
            let rest = "id: 3\nevent: output\ndata: ld\n\nid: 4\nevent: logs\ndata: step 1\ndata: step 2\n\nevent: done\ndata: {}\n\n"
            let fromTwo = "id: 2\nevent: output\ndata: lo\ndata:  wor\n\n" + rest
            return TestResponse(
                status: 200, headers: sse,
                chunks: [(0, Data((request.header("Last-Event-ID") == "1" ? fromTwo : rest).utf8))])
        }
        defer { Task { await server.stop() } }
        let client = makeClient(server)
        let p = try Prediction(json: JSONValue(parsing: prediction("p4", "starting", stream: "\(server.origin)/v1/streams/p4")))
        var events: [ServerSentEvent] = []
        for try await event in try client.stream(p, options: .init(maxReconnects: 2, reconnectDelay: 0.05)) {
            events.append(event)
        }
        #expect(events.map(\.event) == ["output", "output", "output", "logs", "done"])
        #expect(events.filter { $0.event == "output" }.map(\.data).joined() == "Hello\n wor" + "ld")
        #expect(events[3].data == "step 1\nstep 2")
        #expect(events.map(\.id) == ["1", "2", "3", "4", "4"])
        let r = await server.requests().filter { $0.path == "/v1/streams/p4" }
        #expect(r.count == 2)
        #expect(r[0].header("Accept") == "text/event-stream")
        #expect(["1", "2"].contains(r[1].header("Last-Event-ID") ?? ""))
        // Same origin as the API (the simulator's case): the token is sent.
        #expect(r[0].header("Authorization") == "Bearer \(testToken)")
    }

    @Test func createAndStreamInOneCall() async throws {
        let server = try await TestServer { request, _ in
            if request.method == "POST" {
                let origin = "http://127.0.0.1:\(request.header("Host")?.split(separator: ":").last ?? "0")"
                return .json(prediction("p7", "starting", stream: "\(origin)/v1/streams/p7"), status: 201)
            }
            return TestResponse(
                status: 200, headers: [("Content-Type", "text/event-stream")],
                chunks: [(0, Data("event: output\ndata: Hi\n\nevent: output\ndata:  there\n\nevent: done\ndata: {}\n\n".utf8))])
        }
        defer { Task { await server.stop() } }
        var text = ""
        for try await event in try await makeClient(server).stream(RunTarget("meta/llama"), input: ["prompt": "hello"]) where event.event == "output" {
            text += event.data
        }
        #expect(text == "Hi there")
        #expect(await server.requests().map(\.path) == ["/v1/models/meta/llama/predictions", "/v1/streams/p7"])
    }

    @Test func streamGivesUpAfterTooManyDrops() async throws {
        let server = try await TestServer { _, _ in
            TestResponse(status: 200, headers: [("Content-Type", "text/event-stream")], chunks: [(0, Data(": nothing\n".utf8))], cut: true)
        }
        defer { Task { await server.stop() } }
        let stream = makeClient(server).stream(url: URL(string: "\(server.origin)/stream")!, options: .init(maxReconnects: 2, reconnectDelay: 0.01))
        await #expect {
            for try await _ in stream {}
        } throws: { error in
            (error as? ReplicateError)?.kind == .network && "\(error)".contains("gave up after 2")
        }
        #expect(await server.requests().count == 3)
    }

    @Test func multipartUploadCarriesEveryPart() async throws {
        let server = try await TestServer { request, _ in
            .json(#"{"id":"f1","name":"hello.txt","content_type":"text/plain","size":11,"checksums":{"sha256":"x"},"metadata":{"k":"v"},"created_at":"t","expires_at":"t","urls":{"get":"https://api.replicate.com/v1/files/f1"}}"#, status: 201)
        }
        defer { Task { await server.stop() } }
        let client = makeClient(server)
        let file = try await client.files.upload(Data("hello\r\nworld".utf8), filename: "hello.txt", contentType: "text/plain", metadata: ["k": "v"])
        #expect(file.id == "f1" && file.getURL == "https://api.replicate.com/v1/files/f1")
        _ = try await client.perform("create_file", arguments: ["content": ["data": .string(Data([0, 1, 2, 255]).base64EncodedString())], "filename": "bytes.bin"])

        let r = await server.requests()
        #expect(r.count == 2)
        let parts = try MultipartTestParser.parse(r[0])
        #expect(parts["content"]?.filename == "hello.txt")
        #expect(parts["content"]?.contentType == "text/plain")
        #expect(parts["content"]?.body == Data("hello\r\nworld".utf8))
        #expect(parts["type"]?.text == "text/plain")
        #expect(parts["filename"]?.text == "hello.txt")
        #expect(try JSONValue(parsing: parts["metadata"]?.body ?? Data()) == ["k": "v"])
        let parts2 = try MultipartTestParser.parse(r[1])
        #expect(parts2["content"]?.body == Data([0, 1, 2, 255]))
        #expect(parts2["content"]?.filename == "bytes.bin")
        #expect(parts2["type"]?.text == "application/octet-stream")
    }

    @Test func encodeInputInlinesSmallAndUploadsLarge() async throws {
        let server = try await TestServer { _, _ in
            .json(#"{"id":"big","content_type":"image/png","size":300000,"urls":{"get":"https://api.replicate.com/v1/files/big"}}"#, status: 201)
        }
        defer { Task { await server.stop() } }
        let client = makeClient(server)
        let small = try await client.files.encodeInput(Data([1, 2, 3]), filename: "a.png")
        #expect(small == "data:image/png;base64,AQID")
        let exact = try await client.files.encodeInput(Data(count: Files.dataURILimit), filename: "b.bin")
        #expect(exact.hasPrefix("data:application/octet-stream;base64,"))
        let big = try await client.files.encodeInput(Data(count: Files.dataURILimit + 1), filename: "c.png")
        #expect(big == "https://api.replicate.com/v1/files/big")
        #expect(await server.requests().count == 1)
    }

    @Test func paginationWalksEveryPage() async throws {
        let server = try await TestServer { request, _ in
            let origin = "http://127.0.0.1:\(request.header("Host")?.split(separator: ":").last ?? "0")"
            switch request.query {
            case nil:
                return .json(#"{"next":"\#(origin)/v1/models?cursor=c2","previous":null,"results":[{"owner":"a","name":"1"},{"owner":"a","name":"2"}]}"#)
            case "cursor=c2":
                return .json(#"{"next":"\#(origin)/v1/models?cursor=c3","previous":"\#(origin)/v1/models","results":[{"owner":"b","name":"3"}]}"#)
            default:
                return .json(#"{"next":null,"previous":"\#(origin)/v1/models?cursor=c2","results":[{"owner":"c","name":"4"},{"owner":"c","name":"5"}]}"#)
            }
        }
        defer { Task { await server.stop() } }
        let client = makeClient(server)
        let names = try await client.models.all().collect().map(\.fullName)
        #expect(names == ["a/1", "a/2", "b/3", "c/4", "c/5"])
        let r = await server.requests()
        #expect(r.map(\.uri) == ["/v1/models", "/v1/models?cursor=c2", "/v1/models?cursor=c3"])
        #expect(r.allSatisfy { $0.header("Authorization") == "Bearer \(testToken)" })

        let first = try await client.models.list()
        let second = try #require(try await client.nextPage(of: first))
        #expect(second.results.map(\.name) == ["3"])
        let back = try #require(try await client.previousPage(of: second))
        #expect(back.results.count == 2)
        let third = try #require(try await client.nextPage(of: second))
        #expect(try await client.nextPage(of: third) == nil)
    }

    @Test func searchModelsSendsQueryWithATextBodyOnEveryPage() async throws {
        let server = try await TestServer { request, index in
            index == 0
                ? .json(#"{"next":"http://127.0.0.1:\#(request.header("Host")?.split(separator: ":").last ?? "0")/v1/models?cursor=2","previous":null,"results":[{"owner":"x","name":"upscaler"}]}"#)
                : .json(#"{"next":null,"previous":null,"results":[{"owner":"y","name":"upscaler-2"}]}"#)
        }
        defer { Task { await server.stop() } }
        let found = try await makeClient(server).models.search("upscaler").collect()
        #expect(found.map(\.fullName) == ["x/upscaler", "y/upscaler-2"])
        let r = await server.requests()
        #expect(r.map(\.method) == ["QUERY", "QUERY"])
        #expect(r.allSatisfy { $0.bodyText == "upscaler" && $0.header("Content-Type") == "text/plain" })
    }

    @Test func downloadStreamsToDiskAndRefusesErrors() async throws {
        let payload = Data((0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        let server = try await TestServer { request, _ in
            if request.path == "/out.bin" {
                return TestResponse(status: 200, headers: [("Content-Type", "application/octet-stream")], chunks: [(0, payload.prefix(100_000)), (0.01, payload.suffix(100_000))])
            }
            if request.path == "/v1/files/f1/download" {
                #expect(request.query == "owner=alice&expiry=1700000000&signature=c2ln%2Bbj0%3D")
                return TestResponse(status: 200, headers: [("Content-Type", "text/plain")], chunks: [(0, Data("signed".utf8))])
            }
            return .problem(404, title: "Not found", detail: "no such output")
        }
        defer { Task { await server.stop() } }
        let client = makeClient(server)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("replicate-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }

        let target = dir.appendingPathComponent("out.bin").path
        // `localhost` is another origin than the API's `127.0.0.1`, like a delivery CDN.
        let result = try await client.download(url: URL(string: "http://localhost:\(server.port)/out.bin")!, to: target)
        #expect(result.bytes == payload.count)
        #expect(FileManager.default.contents(atPath: target) == payload)
        // The output host is not the API origin: no token goes there.
        #expect(await server.requests()[0].header("Authorization") == nil)

        let missing = dir.appendingPathComponent("missing.bin").path
        await #expect {
            _ = try await client.download(url: URL(string: "\(server.origin)/nope")!, to: missing)
        } throws: { error in
            let e = error as? ReplicateError
            return e?.status == 404 && e?.detail == "no such output"
        }
        #expect(!FileManager.default.fileExists(atPath: missing))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["out.bin"])  // no temp files left

        await #expect {
            _ = try await client.download(url: URL(string: "\(server.origin)/out.bin")!, to: dir.appendingPathComponent("no/such/dir/x").path)
        } throws: { error in
            (error as? ReplicateError)?.kind == .validation && "\(error)".contains("does not exist")
        }

        let signed = dir.appendingPathComponent("signed.txt").path
        _ = try await client.files.download(id: "f1", owner: "alice", expiry: 1_700_000_000, signature: "c2ln+bj0=", to: signed)
        #expect(FileManager.default.contents(atPath: signed) == Data("signed".utf8))
        #expect(await server.requests().last?.header("Authorization") == "Bearer \(testToken)")
    }

    @Test func performDecodesBodiesByContentType() async throws {
        let server = try await TestServer { request, _ in
            switch request.path {
            case "/v1/models/o/n/readme": return TestResponse(status: 200, headers: [("Content-Type", "text/plain; charset=utf-8")], chunks: [(0, Data("# Title\n".utf8))])
            case "/v1/files/gone": return TestResponse(status: 204, headers: [], chunks: [])
            default: return .json("[]")
            }
        }
        defer { Task { await server.stop() } }
        let client = makeClient(server)
        #expect(try await client.models.readme("o/n") == "# Title\n")
        let deleted = try await client.perform("delete_file", arguments: ["file_id": "gone"])
        #expect(deleted.status == 204 && deleted.body == .null)
        let r = await server.requests()
        #expect(r.map(\.method) == ["GET", "DELETE"])
    }
}

/// Splits a multipart/form-data body into named parts, for checking uploads server-side.
enum MultipartTestParser {
    struct Part {
        var filename: String?
        var contentType: String?
        var body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    static func parse(_ request: RecordedRequest) throws -> [String: Part] {
        let type = request.header("Content-Type") ?? ""
        guard type.hasPrefix("multipart/form-data; boundary="), let boundary = type.split(separator: "=", maxSplits: 1).last else {
            throw ReplicateError.validation("not multipart: \(type)")
        }
        let delimiter = Data("--\(boundary)".utf8)
        var parts: [String: Part] = [:]
        var chunks: [Data] = []
        var rest = request.body[...]
        while let range = rest.range(of: delimiter) {
            chunks.append(Data(rest[rest.startIndex..<range.lowerBound]))
            rest = rest[range.upperBound...]
        }
        guard rest.starts(with: Data("--\r\n".utf8)) else { throw ReplicateError.validation("missing closing boundary") }
        for chunk in chunks.dropFirst() {
            // Each part: CRLF, headers, CRLF CRLF, body, CRLF.
            guard let split = chunk.range(of: Data("\r\n\r\n".utf8)) else { continue }
            let headerText = String(decoding: chunk[chunk.startIndex..<split.lowerBound], as: UTF8.self)
            var body = Data(chunk[split.upperBound...])
            if body.suffix(2) == Data("\r\n".utf8) { body.removeLast(2) }
            var name = ""
            var part = Part(body: body)
            for line in headerText.split(separator: "\r\n") {
                if line.lowercased().hasPrefix("content-disposition:") {
                    for attr in line.split(separator: ";").dropFirst() {
                        let kv = attr.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                        guard kv.count == 2 else { continue }
                        let value = kv[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                        if kv[0] == "name" { name = value }
                        if kv[0] == "filename" { part.filename = value }
                    }
                } else if line.lowercased().hasPrefix("content-type:") {
                    part.contentType = line.dropFirst("content-type:".count).trimmingCharacters(in: .whitespaces)
                }
            }
            parts[name] = part
        }
        return parts
    }
}
