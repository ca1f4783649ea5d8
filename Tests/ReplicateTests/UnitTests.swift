import Foundation
import RecordedFixtures
import Testing

@testable import Replicate

@Suite struct JSONValueTests {
    @Test func integersStayIntegersAndFractionsStayDoubles() throws {
        let v = try JSONValue(parsing: #"{"a": 1, "b": 1.0, "c": 1e2, "d": -0, "e": 9223372036854775807, "f": 9223372036854775808, "g": 0.012683}"#)
        #expect(v["a"] == .int(1))
        #expect(v["b"] == .double(1.0))
        #expect(v["c"] == .double(100))
        #expect(v["d"] == .int(0))
        #expect(v["e"] == .int(Int64.max))
        #expect(v["f"] == .double(9_223_372_036_854_775_808))
        #expect(v["g"] == .double(0.012683))
        // Re-encoding keeps the distinction.
        let back = try JSONValue(parsing: v.encoded())
        #expect(back == v)
        #expect(try JSONValue.double(2).encodedString() == "2.0")
    }

    @Test func stringsEscapesAndUnicode() throws {
        let v = try JSONValue(parsing: #"["a\"b\\c\n\u00e9\ud83d\ude00/", "\u0001"]"#)
        #expect(v[0] == .string("a\"b\\c\né😀/"))
        #expect(try JSONValue(parsing: v.encoded()) == v)
        #expect(try v.encodedString().contains("\\u0001"))
    }

    @Test func rejectsBadJSONAndNonFiniteNumbers() {
        for bad in ["", "{", "[1,]", "{\"a\" 1}", "tru", "01", "1.", "\"\\ud800\"", "[1] 2", "\"a\u{01}\""] {
            #expect(throws: JSONError.self, "\(bad)") { try JSONValue(parsing: bad) }
        }
        #expect(throws: JSONError.self) { try JSONValue.double(.nan).encoded() }
        #expect(throws: JSONError.self) { try JSONValue.array([.double(.infinity)]).encoded() }
    }

    /// Checking without building (what responses get before their body is read) accepts and
    /// rejects exactly what parsing does, and keeps the top-level `id`: recorded responses and
    /// seeded byte-level mutations of them (dropped, repeated, replaced bytes, invalid UTF-8).
    @Test func checkingAgreesWithParsing() throws {
        let dir = try #require(RecordedFixtures.directory)
        let files = try FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil).filter { $0.pathExtension == "json" }
        var documents = try files.map { Array(try Data(contentsOf: $0)) }
        documents += [#"{"id": "caf\u00e9", "x": [1, {"id": 2}]}"#, #"[{"id": "nested"}]"#, #"{"id": 5}"#, "\"id\""].map { Array($0.utf8) }
        try #require(documents.count > 5)
        var rng = SSEFuzzTests.Rng(seed: 20261130)
        var checked = 0
        for document in documents {
            for round in 0..<40 {
                var bytes = document
                if round > 0, !bytes.isEmpty {
                    for _ in 0..<rng.int(1...3) {
                        let at = rng.int(0...(bytes.count - 1))
                        switch rng.int(0...3) {
                        case 0: bytes.remove(at: at)
                        case 1: bytes.insert(bytes[at], at: at)
                        case 2: bytes[at] = [UInt8(ascii: "\""), UInt8(ascii: "{"), UInt8(ascii: "]"), UInt8(ascii: ","), 0xFF, 0xC3, UInt8(ascii: "\\")][rng.int(0...6)]
                        default: bytes.insert(0xE9, at: at)
                        }
                        if bytes.isEmpty { break }
                    }
                }
                let parsed = try? JSONValue(parsing: Data(bytes))
                var checker = JSONParser(bytes: bytes, building: false, capture: "id")
                let accepted = (try? checker.parseDocument()) != nil
                #expect(accepted == (parsed != nil), "\(String(decoding: bytes, as: UTF8.self).prefix(200))")
                if let parsed, accepted { #expect(checker.captured == parsed["id"]?.stringValue) }
                checked += 1
            }
        }
        #expect(checked >= 200)
    }

    @Test func literalsAndAccessors() throws {
        let v: JSONValue = ["n": nil, "t": true, "i": 3, "d": 2.5, "s": "x", "a": [1, "two"], "o": ["k": "v"]]
        #expect(v["n"] == .null && v["t"]?.boolValue == true && v["i"]?.intValue == 3)
        #expect(v["d"]?.doubleValue == 2.5 && v["a"]?[1] == "two" && v["o"]?["k"] == "v")
        #expect(v["missing"] == nil)
        #expect(try JSONValue(parsing: #"{"k":1,"k":2}"#)["k"] == .int(2))  // last duplicate wins
        let data = try JSONEncoder().encode(v)
        #expect(try JSONDecoder().decode(JSONValue.self, from: data) == v)
    }
}

@Suite struct CatalogTests {
    @Test func catalogMatchesFunctionsTSV() throws {
        let url = RepositoryFiles.reference.appendingPathComponent("functions.tsv")
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").dropFirst()
        #expect(lines.count == 37)
        #expect(Catalog.operations.count == 37)
        for line in lines {
            let cols = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            let op = try #require(Catalog.operation(named: cols[0]))
            #expect(op.alias == cols[1])
            #expect(op.access.rawValue == cols[2])
            #expect(op.method == cols[3])
            #expect(op.path == cols[4])
            #expect(op.operationId == cols[5])
            let params = op.parameters.map { "\($0.location.rawValue):\($0.name)\($0.required ? "*" : "")" }.joined(separator: " ")
            #expect(params == cols[6], "\(op.name)")
            if cols[7].isEmpty {
                #expect(op.body == nil)
            } else {
                let body = try #require(op.body)
                #expect(cols[7].hasPrefix(body.contentType + ":"))
                if body.contentType != "text/plain" {
                    let fields = body.fields.map { $0.name + ($0.required ? "*" : "") }.sorted().joined(separator: ", ")
                    #expect(fields == String(cols[7].dropFirst(body.contentType.count + 2)))
                }
            }
            #expect(op.paginated == (cols[8] == "yes"))
            #expect(!op.summary.isEmpty)
            #expect(Catalog.operation(named: op.alias)?.name == op.name)
        }
    }

    @Test func lookupAndSuggestions() throws {
        #expect(Catalog.operation(named: "models.get")?.name == "get_model")
        #expect(Catalog.operation(named: "nope") == nil)
        #expect(Catalog.closestName(to: "get_modle") == "get_model")
        #expect(throws: ReplicateError.self) { try Catalog.require("list_model") }
        do {
            _ = try Catalog.require("get_predictoin")
        } catch let e as ReplicateError {
            #expect(e.message.contains("did you mean 'get_prediction'"))
        }
        let search = try #require(Catalog.operation(named: "search_models"))
        #expect(search.method == "QUERY" && search.body?.contentType == "text/plain" && search.body?.fields.map(\.name) == ["query"])
        #expect(Catalog.operations.filter { $0.creates == .prediction }.map(\.name).sorted() == ["create_deployment_prediction", "create_model_prediction", "create_prediction"])
    }
}

@Suite struct ConfigurationTests {
    @Test func environmentPrecedence() {
        let c1 = ReplicateConfiguration.fromEnvironment(["REPLICATE_API_TOKEN": "r8_a", "REPLICATE_API_KEY": "r8_b"])
        #expect(c1.token == "r8_a")
        #expect(c1.baseURL.absoluteString == "https://api.replicate.com/v1")
        #expect(ReplicateConfiguration.fromEnvironment(["REPLICATE_API_KEY": "r8_b", "REPLICATE_API_TOKEN": ""]).token == "r8_b")
        #expect(ReplicateConfiguration.fromEnvironment([:]).token == nil)
        #expect(ReplicateConfiguration.fromEnvironment(["REPLICATE_BASE_URL": "http://127.0.0.1:8080"]).baseURL.absoluteString == "http://127.0.0.1:8080/v1")
        #expect(ReplicateConfiguration.fromEnvironment(["REPLICATE_BASE_URL": "http://127.0.0.1:8080/"]).baseURL.absoluteString == "http://127.0.0.1:8080/v1")
        #expect(
            ReplicateConfiguration.fromEnvironment(["REPLICATE_URL": "http://sim:1/v1", "REPLICATE_BASE_URL": "http://other:2"]).baseURL.absoluteString
                == "http://sim:1/v1")
        #expect(ReplicateConfiguration.defaultUserAgent == "kosmo-lua/0.1.0 (Swift; Linux)")
        let c = ReplicateConfiguration(token: "r8_secret_token_value")
        #expect(!c.description.contains("r8_secret_token_value"))
    }
}

@Suite struct SSEParserTests {
    static let sample = Data(
        """
        \u{FEFF}: keep-alive comment\r
        id: 1\r
        event: output\r
        data: Hello\r
        data:  world\r
        \r
        :ping\r
        event: logs\rdata: step 1\r\r\
        id: 3
        retry: 1500
        event: output
        data

        event: error
        data: {"detail":"boom"}

        event: done
        data: {}

        data: no event name
        field-without-colon
        unknown: x

        event: done

        data: dangling without blank line
        """.utf8)

    static let expected: [ServerSentEvent] = [
        ServerSentEvent(id: "1", event: "output", data: "Hello\n world"),
        ServerSentEvent(id: "1", event: "logs", data: "step 1"),
        ServerSentEvent(id: "3", event: "output", data: "", retry: 1500),
        ServerSentEvent(id: "3", event: "error", data: #"{"detail":"boom"}"#),
        ServerSentEvent(id: "3", event: "done", data: "{}"),
        ServerSentEvent(id: "3", event: "message", data: "no event name"),
        ServerSentEvent(id: "3", event: "done", data: ""),
    ]

    @Test func parsesWholeStream() {
        var parser = SSEParser()
        #expect(parser.feed(Self.sample) == Self.expected)
        #expect(parser.lastEventID == "3")
        #expect(parser.reconnectionDelay == 1500)
    }

    @Test func anyChunkingGivesTheSameEvents() {
        var rng = SystemRandomNumberGenerator()
        let bytes = [UInt8](Self.sample)
        for _ in 0..<200 {
            var parser = SSEParser()
            var events: [ServerSentEvent] = []
            var i = 0
            while i < bytes.count {
                let n = Int.random(in: 1...7, using: &rng)
                events += parser.feed(bytes[i..<min(bytes.count, i + n)])
                i += n
            }
            #expect(events == Self.expected)
        }
        var byteByByte = SSEParser()
        #expect(bytes.flatMap { byteByByte.feed([$0]) } == Self.expected)
    }

    @Test func crlfSplitAcrossChunksIsOneLineEnd() {
        var parser = SSEParser()
        #expect(parser.feed(Array("data: a\r".utf8)).isEmpty)
        // The LF completing the CRLF must not count as a second (blank) line.
        #expect(parser.feed(Array("\ndata: b\r\n\r\n".utf8)) == [ServerSentEvent(event: "message", data: "a\nb")])
    }
}

@Suite struct WebhookTests {
    static let headers = [
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
    ]
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let body = #"{"test": 2432232314}"#
    static let now = Date(timeIntervalSince1970: 1_614_265_330)

    func signed(_ signature: String) -> [String: String] {
        var h = Self.headers
        h["Webhook-Signature"] = signature
        return h
    }

    @Test func publicTestVectorVerifies() throws {
        let sig = try Webhooks.sign(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: Data(Self.body.utf8), secret: Self.secret)
        // The published Standard Webhooks vector's signature.
        #expect(sig == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        #expect(try Webhooks.verify(headers: signed(sig), body: Self.body, secret: Self.secret, now: Self.now))
        // Several signatures (rotation): a match anywhere passes.
        #expect(try Webhooks.verify(headers: signed("v1,AAAA v2,zzz " + sig), body: Self.body, secret: Self.secret, now: Self.now))
    }

    @Test func tamperingFails() throws {
        let sig = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        #expect(try !Webhooks.verify(headers: signed(sig), body: #"{"test": 2432232315}"#, secret: Self.secret, now: Self.now))
        var h = signed(sig)
        h["webhook-id"] = "msg_other"
        #expect(try !Webhooks.verify(headers: h, body: Self.body, secret: Self.secret, now: Self.now))
        #expect(try !Webhooks.verify(headers: signed("v1,bm9wZQ=="), body: Self.body, secret: Self.secret, now: Self.now))
        #expect(try !Webhooks.verify(headers: signed(sig), body: Self.body, secret: "whsec_" + Data(repeating: 7, count: 24).base64EncodedString(), now: Self.now))
    }

    @Test func staleTimestampsAndMissingHeadersThrow() throws {
        let sig = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        #expect(throws: ReplicateError.self) {
            try Webhooks.verify(headers: signed(sig), body: Self.body, secret: Self.secret, now: Self.now.addingTimeInterval(301))
        }
        #expect(try Webhooks.verify(headers: signed(sig), body: Self.body, secret: Self.secret, now: Self.now.addingTimeInterval(299)))
        #expect(throws: ReplicateError.self) { try Webhooks.verify(headers: Self.headers, body: Self.body, secret: Self.secret, now: Self.now) }
        #expect(throws: ReplicateError.self) { try Webhooks.verify(headers: signed(sig), body: Self.body, secret: "whsec_!!!", now: Self.now) }
    }
}

@Suite struct RequestBuilderTests {
    func build(_ name: String, _ args: [String: JSONValue]) throws -> HTTPExchange {
        try RequestBuilder(operation: #require(Catalog.operation(named: name)), baseURL: URL(string: "http://h:1/v1")!).build(args)
    }

    func message(_ name: String, _ args: [String: JSONValue]) -> String {
        do {
            _ = try build(name, args)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test func pathQueryAndBody() throws {
        let e = try build("get_model_version", ["model_owner": "a b", "model_name": "c/d", "version_id": "v"])
        #expect(e.method == "GET")
        #expect(e.url.absoluteString == "http://h:1/v1/models/a%20b/c%2Fd/versions/v")
        let l = try build("list_models", ["sort_by": "model_created_at", "sort_direction": "asc"])
        #expect(l.url.query == "sort_by=model_created_at&sort_direction=asc")
        let c = try build("create_prediction", ["version": "abc", "input": ["prompt": "hi"], "webhook_events_filter": ["start"]])
        #expect(try JSONValue(parsing: c.body ?? Data()) == ["version": "abc", "input": ["prompt": "hi"], "webhook_events_filter": ["start"]])
        let s = try build("search_models", ["query": "upscaler"])
        #expect(s.method == "QUERY" && s.body == Data("upscaler".utf8))
        #expect(s.headers.contains { $0 == ("Content-Type", "text/plain") })
        let nulls = try build("get_account", ["ignored_null": nil])
        #expect(nulls.url.path == "/v1/account")
    }

    @Test func waitAndCancelAfterHeaders() throws {
        func headers(_ args: [String: JSONValue]) throws -> [String: String] {
            var out: [String: String] = [:]
            for (k, v) in try build("create_model_prediction", ["model_owner": "o", "model_name": "n", "input": [:]].merging(args) { $1 }).headers { out[k] = v }
            return out
        }
        #expect(try headers(["wait": true])["Prefer"] == "wait")
        #expect(try headers(["wait": 7])["Prefer"] == "wait=7")
        #expect(try headers(["wait": false])["Prefer"] == nil)
        #expect(try headers(["Prefer": "wait=60"])["Prefer"] == "wait=60")
        #expect(try headers(["cancel_after": 30])["Cancel-After"] == "30s")
        #expect(try headers(["cancel_after": "1h30m"])["Cancel-After"] == "1h30m")
        #expect(try headers(["Cancel-After": "90"])["Cancel-After"] == "90")
        #expect(message("create_prediction", ["version": "v", "input": [:], "wait": 61]).contains("1 to 60"))
        #expect(message("create_prediction", ["version": "v", "input": [:], "wait": 0]).contains("1 to 60"))
        #expect(message("create_prediction", ["version": "v", "input": [:], "cancel_after": 4]).contains("5 s minimum"))
        #expect(message("create_prediction", ["version": "v", "input": [:], "cancel_after": "3s"]).contains("5 s minimum"))
        #expect(message("create_prediction", ["version": "v", "input": [:], "cancel_after": "5m1h"]).contains("out of order"))
        #expect(message("create_prediction", ["version": "v", "input": [:], "cancel_after": "soon"]).contains("not a duration"))
        #expect(message("get_model", ["model_owner": "o", "model_name": "n", "wait": true]).contains("unknown argument 'wait'"))
    }

    @Test func emptyTablesAndWholeFloatsAreNormalised() throws {
        let e = try build("create_prediction", ["version": "v", "input": [], "webhook_events_filter": [:]])
        #expect(try JSONValue(parsing: e.body ?? Data()) == ["version": "v", "input": [:], "webhook_events_filter": []])
        let d = try build("update_deployment", ["deployment_owner": "o", "deployment_name": "n", "max_instances": 3.0])
        #expect(try JSONValue(parsing: d.body ?? Data())["max_instances"] == .int(3))
        #expect(message("update_deployment", ["deployment_owner": "o", "deployment_name": "n", "max_instances": 3.5]).contains("must be an integer"))
    }

    @Test func badArgumentsAreNamed() {
        #expect(message("get_model", ["model_owner": "o"]).contains("missing required argument 'model_name'"))
        #expect(message("get_model", ["model_owner": "o", "model_name": "n", "modle": 1]).contains("unknown argument 'modle'"))
        #expect(message("create_prediction", ["version": "v", "input": "text"]).contains("argument 'input' must be an object, got string"))
        #expect(message("create_deployment", ["name": "d", "model": "m", "version": "v", "hardware": "cpu", "min_instances": "one", "max_instances": 2]).contains("'min_instances' must be an integer"))
        #expect(message("create_file", ["content": 5]).contains("'content' must be a string"))
        #expect(message("get_model", ["model_owner": "", "model_name": "n"]).contains("must not be empty"))
        #expect(message("get_account", ["x": 1]).contains("it takes no arguments"))
    }

    @Test func runTargets() throws {
        let hex = String(repeating: "ab", count: 32)
        #expect(try RunTarget(hex) == .version(hex))
        #expect(try RunTarget("owner/name") == .model(owner: "owner", name: "name", version: nil))
        #expect(try RunTarget("owner/name:\(hex)") == .model(owner: "owner", name: "name", version: hex))
        #expect(try RunTarget.deployment("acme/app") == .deployment(owner: "acme", name: "app"))
        for bad in ["", "owner", "a/b/c", "/name", "owner/:", "owner/name:"] {
            #expect(throws: ReplicateError.self, "\(bad)") { try RunTarget(bad) }
        }
    }

    @Test func tokenGoesOnlyToReplicateHosts() {
        let t = Transport(configuration: ReplicateConfiguration(token: "r8_x"), httpClient: nil)
        func sends(_ s: String) -> Bool { t.standardHeaders(for: URL(string: s)!).contains { $0.0 == "Authorization" } }
        #expect(sends("https://api.replicate.com/v1/predictions"))
        #expect(sends("https://streaming-api.svc.rno2.c.replicate.net/v1/streams/abc"))
        #expect(!sends("https://replicate.delivery/pbxt/out.png"))
        #expect(!sends("http://api.replicate.com/v1/account"))  // not over plain HTTP
        #expect(!sends("https://replicate.com.evil.org/x"))
        #expect(!sends("https://evilreplicate.com/x"))
        #expect(!sends("https://api.replicate.com.evil.org/x"))
        let sim = Transport(configuration: ReplicateConfiguration(token: "r8_x", baseURL: URL(string: "http://127.0.0.1:8080/v1")!), httpClient: nil)
        #expect(sim.standardHeaders(for: URL(string: "http://127.0.0.1:8080/v1/streams/1")!).contains { $0.0 == "Authorization" })
        #expect(!sim.standardHeaders(for: URL(string: "http://127.0.0.1:9090/out.png")!).contains { $0.0 == "Authorization" })
    }

    @Test func retryPolicy() {
        #expect(RetryPolicy.shouldRetry(method: "POST", status: 429))
        #expect(!RetryPolicy.shouldRetry(method: "POST", status: 500))
        // 503, like 429, says the request was not run: safe to repeat even for a write.
        #expect(RetryPolicy.shouldRetry(method: "PATCH", status: 503))
        #expect(!RetryPolicy.shouldRetry(method: "PATCH", status: 502))
        #expect(!RetryPolicy.shouldRetry(method: "POST", status: 504))
        #expect(RetryPolicy.shouldRetry(method: "GET", status: 503))
        #expect(RetryPolicy.shouldRetry(method: "DELETE", status: 502))
        #expect(!RetryPolicy.shouldRetry(method: "GET", status: 404))
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(RetryPolicy.parseRetryAfter("7", now: now) == 7)
        #expect(RetryPolicy.parseRetryAfter("Tue, 14 Nov 2023 22:13:30 GMT", now: now) == 10)
        #expect(RetryPolicy.parseRetryAfter("soon", now: now) == nil)
        for attempt in 0..<6 {
            let d = RetryPolicy.backoff(attempt: attempt, base: 0.5, cap: 4)
            let full = min(4, 0.5 * pow(2, Double(attempt)))
            #expect(d >= full / 2 && d <= full)
        }
    }
}

@Suite struct HeaderNameTests {
    @Test func namesCompareWithoutASCIICase() {
        let response = APIResponse(status: 200, headers: [("content-TYPE", "application/json"), ("Retry-After", "3")], body: .null)
        #expect(response.header("Content-Type") == "application/json")
        #expect(response.header("retry-after") == "3")
        #expect(response.header("Content-Typ") == nil)
        // Only letters fold: '[' (0x5B) and '{' (0x7B) differ by the same bit as 'K' and 'k'.
        #expect(!HeaderName.equal("a[", "a{"))
        #expect(!HeaderName.equal("x-é", "X-É"))
        #expect(HeaderName.equal("X-Request-ID", "x-request-id"))
    }
}
