import Foundation
import Testing

/// `kosmo-lua mcp` spoken to in raw lines, for messages `MCPSession` cannot send: text that is
/// not JSON, ids JSONSerialization cannot write, lines of many megabytes.
final class RawMCPSession: @unchecked Sendable {
    let process: LineProcess
    private var nextID = 1000

    init(_ arguments: [String] = ["mcp", "--sim"]) throws {
        process = try LineProcess(Binaries.kosmo, arguments)
    }

    func send(_ line: String) { process.send(Data(line.utf8)) }

    func send(_ message: [String: Any]) throws { process.send(try JSONSerialization.data(withJSONObject: message)) }

    /// The next message and the length of its line, or nil after `timeout` seconds.
    func receive(timeout: Double = 30) -> (message: [String: Any], bytes: Int)? {
        let deadline = Date().addingTimeInterval(timeout)
        while let line = process.line(timeout: deadline.timeIntervalSinceNow) {
            if let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] { return (object, line.count) }
            Issue.record("the server wrote a line that is not JSON: \(String(decoding: line.prefix(200), as: UTF8.self))")
        }
        return nil
    }

    /// Sends a request and waits for the answer with its id (skipping any other message).
    func request(_ method: String, _ params: [String: Any] = [:], timeout: Double = 30) throws -> [String: Any] {
        try requestWithSize(method, params, timeout: timeout).message
    }

    func requestWithSize(_ method: String, _ params: [String: Any] = [:], timeout: Double = 30) throws -> (message: [String: Any], bytes: Int) {
        nextID += 1
        let id = nextID
        try send(["jsonrpc": "2.0", "id": id, "method": method, "params": params])
        let deadline = Date().addingTimeInterval(timeout)
        while let answer = receive(timeout: deadline.timeIntervalSinceNow) {
            if answer.message["id"] as? Int == id { return answer }
        }
        throw NSError(domain: "no answer to \(method) within \(timeout) s", code: 0)
    }

    func initialize() throws {
        _ = try request("initialize", ["protocolVersion": "2025-06-18", "capabilities": [String: Any](),
                                       "clientInfo": ["name": "kosmo-hardening-tests", "version": "1"]])
        try send(["jsonrpc": "2.0", "method": "notifications/initialized"])
    }

    /// `ping` answers, within `seconds`.
    func pings(within seconds: Double = 10) -> Bool {
        (try? request("ping", timeout: seconds))?["result"] != nil
    }

    func call(_ tool: String, _ arguments: [String: Any], timeout: Double = 30) throws -> [String: Any] {
        let answer = try request("tools/call", ["name": tool, "arguments": arguments], timeout: timeout)
        return try #require(answer["result"] as? [String: Any], "tools/call \(tool): \(answer)")
    }

    func close() { process.close() }
}

func rpcError(_ message: [String: Any]) -> (code: Int?, message: String) {
    let error = message["error"] as? [String: Any]
    return (error?["code"] as? Int, error?["message"] as? String ?? "")
}

/// The MCP server under hostile input: numbers out of range, oversize arguments and lines, huge
/// error messages and results, and malformed JSON-RPC. Each is answered clearly and the server
/// keeps serving (a `ping` after it answers).
@Suite struct HardeningMCPTests {
    @Test func searchLimitsOutOfRangeAreRefused() async throws {
        try await onThread {
            let session = try RawMCPSession()
            defer { session.close() }
            try session.initialize()
            for limit in [1e30, "nan", -1e300, 0, 5.5, 101, "lots", true] as [Any] {
                let result = try session.call("search_functions", ["query": "prediction", "limit": limit])
                #expect(result["isError"] as? Bool == true, "limit \(limit)")
                #expect(toolText(result).contains("'limit' needs a whole number of results") && toolText(result).contains("(it must be between 1 and 100)"),
                        "limit \(limit): \(toolText(result))")
                #expect(session.pings(), "the server stopped answering after limit \(limit)")
            }
            let fine = try session.call("search_functions", ["query": "prediction", "limit": 2])
            #expect((fine["structuredContent"] as? [String: Any])?["results"] as? [Any] != nil)
            #expect(((fine["structuredContent"] as? [String: Any])?["results"] as? [Any])?.count == 2)
        }
    }

    @Test func executeLuaLimitsOutOfRangeAreRefused() async throws {
        try await onThread {
            let session = try RawMCPSession()
            defer { session.close() }
            try session.initialize()
            let cases: [(String, Any, String)] = [
                ("instructions", 1e20, "between 1 and 1000000000000000"),
                ("instructions", 0.5, "between 1 and 1000000000000000"),
                ("timeout_seconds", 1e11, "between 0.001 and 86400"),
                ("timeout_seconds", 0, "between 0.001 and 86400"),
                ("timeout_seconds", "nan", "between 0.001 and 86400"),
                ("memory_mb", 1e300, "between 1 and 1048576"),
                ("memory_mb", 1e-7, "between 1 and 1048576"),
                ("output_limit_bytes", -1e300, "between 1 and 16777216"),
                ("output_limit_bytes", ["a": 1], "between 1 and 16777216"),
            ]
            for (key, value, range) in cases {
                let result = try session.call("execute_lua", ["code": "return 1", key: value])
                #expect(result["isError"] as? Bool == true, "\(key) \(value)")
                let envelope = result["structuredContent"] as? [String: Any] ?? [:]
                #expect(errorKind(envelope) == "usage", "\(key) \(value): \(result)")
                #expect(errorMessage(envelope).contains("'\(key)'") && errorMessage(envelope).contains(range), "\(key) \(value): \(errorMessage(envelope))")
                #expect(session.pings(), "the server stopped answering after \(key) \(value)")
            }
            // Within range a call still lowers the limits.
            let lowered = try session.call("execute_lua", ["code": "local x = 0 while true do x = x + 1 end", "instructions": 1000])
            let envelope = lowered["structuredContent"] as? [String: Any] ?? [:]
            #expect(errorKind(envelope) == "limit" && errorMessage(envelope).contains("instruction limit"), "\(envelope)")
        }
    }

    @Test func oversizeArgumentsAreRefusedQuicklyAndPingStaysPrompt() async throws {
        try await onThread {
            let session = try RawMCPSession()
            defer { session.close() }
            try session.initialize()
            let query = String(repeating: "prediction model ", count: 600_000 / 17)
            // Three at once, as the stall was seen, then a ping right behind them.
            for id in 1...3 {
                try session.send(["jsonrpc": "2.0", "id": "big-\(id)", "method": "tools/call",
                                  "params": ["name": "search_functions", "arguments": ["query": query]]])
            }
            let started = Date()
            try session.send(["jsonrpc": "2.0", "id": "ping-after", "method": "ping"])
            var answered: Set<String> = []
            var pingSeconds: Double?
            while answered.count < 4, let (message, _) = session.receive(timeout: 20) {
                guard let id = message["id"] as? String else { continue }
                answered.insert(id)
                if id == "ping-after" { pingSeconds = Date().timeIntervalSince(started) }
                if id.hasPrefix("big-") {
                    let result = message["result"] as? [String: Any] ?? [:]
                    #expect(result["isError"] as? Bool == true)
                    #expect(toolText(result).contains("'query' is \(query.utf8.count) bytes, more than the 1000 bytes it may have"), "\(toolText(result))")
                }
            }
            #expect(answered.count == 4, "answered: \(answered)")
            let seconds = try #require(pingSeconds)
            #expect(seconds < 2, "ping took \(seconds) s behind three oversize searches")

            let describe = try session.call("describe_function", ["name": String(repeating: "get_model", count: 1000)])
            #expect(describe["isError"] as? Bool == true && toolText(describe).contains("more than the 200 bytes"), "\(toolText(describe))")
            let code = try session.call("execute_lua", ["code": String(repeating: "-", count: (1 << 20) + 1)])
            #expect(errorMessage(code["structuredContent"] as? [String: Any] ?? [:]).contains("'code' is 1048577 bytes, more than the 1 MiB (1048576 bytes) it may have"))
            let unknown = try session.call(String(repeating: "x", count: 100_000), [:])
            #expect(unknown["isError"] as? Bool == true && toolText(unknown).contains("tool names have at most 200"), "\(toolText(unknown))")
            #expect(session.pings())
        }
    }

    /// The server's peak resident memory so far, in kB (VmHWM).
    static func peakKB(_ pid: pid_t) -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        return status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }
            .flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
    }

    @Test func anOversizeLineIsAnsweredAndTheNextRequestWorks() async throws {
        try await onThread {
            let session = try RawMCPSession()
            defer { session.close() }
            try session.initialize()
            #expect(session.pings())
            // A line far longer than the cap is dropped as it arrives, not kept: the server's
            // peak memory grows by much less than the line.
            let before = Self.peakKB(session.process.pid)
            session.send(String(repeating: "y", count: 64 << 20))
            let (huge, _) = try #require(session.receive(timeout: 60))
            #expect(rpcError(huge).code == -32600 && huge["id"] is NSNull, "\(huge)")
            #expect(session.pings())
            let growth = Self.peakKB(session.process.pid) - before
            #expect(before > 0 && (!Sanitizer.boundsMemory || growth < 16 << 10), "peak RSS grew by \(growth) kB with a 64 MiB line")

            // A ping padded to one byte over the 4 MiB a line may have: valid JSON, refused by size.
            let cap = 4 << 20
            let head = #"{"jsonrpc":"2.0","id":77,"method":"ping","params":{"pad":""#
            let tail = #""}}"#
            let line = head + String(repeating: "x", count: cap + 1 - head.utf8.count - tail.utf8.count) + tail
            #expect(line.utf8.count == cap + 1)
            session.send(line)
            let (answer, _) = try #require(session.receive(timeout: 30))
            #expect(answer["id"] is NSNull, "\(answer)")
            #expect(rpcError(answer).code == -32600)
            #expect(rpcError(answer).message.contains("the message was 4194305 bytes, more than the 4 MiB (4194304 bytes) one message may have"), "\(rpcError(answer).message)")
            #expect(session.pings())
            // A line of exactly the cap is read (and answered: a ping with params is a ping).
            let fits = head + String(repeating: "x", count: cap - head.utf8.count - tail.utf8.count) + tail
            session.send(fits)
            let (fitting, _) = try #require(session.receive(timeout: 30))
            #expect(fitting["id"] as? Int == 77 && fitting["result"] != nil, "\(fitting)")
            #expect(session.pings())
        }
    }

    @Test func hugeErrorMessagesAndResultsStayUnderTheCaps() async throws {
        // exec: a 30 MB __tostring becomes a message of 16 KiB and a mark.
        let code = #"error(setmetatable({}, {__tostring = function() return string.rep("x", 30e6) end}))"#
        let (result, envelope) = try await execJSON(code)
        #expect(result.stdout.utf8.count < 20_000, "envelope of \(result.stdout.utf8.count) bytes")
        #expect(envelope["ok"] as? Bool == false)
        #expect(errorMessage(envelope).contains("more bytes cut: error messages are capped at 16 KiB"), "\(errorMessage(envelope).suffix(200))")

        try await onThread {
            // A result limit above what a tool result may hold, so the 4 MiB backstop is what
            // stops the large result below (by default the 64 KiB result limit cuts it first).
            let session = try RawMCPSession(["mcp", "--sim", "--result-limit", "8M"])
            defer { session.close() }
            try session.initialize()
            let (answer, bytes) = try session.requestWithSize("tools/call", ["name": "execute_lua", "arguments": ["code": code]])
            #expect(bytes < 64 << 10, "a tool result of \(bytes) bytes")
            let structured = (answer["result"] as? [String: Any])?["structuredContent"] as? [String: Any] ?? [:]
            #expect(errorMessage(structured).contains("error messages are capped at 16 KiB"))
            // A result larger than a tool result may hold comes back as a limit error, still an envelope.
            let (big, bigBytes) = try session.requestWithSize("tools/call", ["name": "execute_lua", "arguments": ["code": #"print("kept") return string.rep("r", 6e6)"#]])
            #expect(bigBytes < (4 << 20) + (64 << 10), "a tool result of \(bigBytes) bytes")
            let result = big["result"] as? [String: Any] ?? [:]
            let envelope = result["structuredContent"] as? [String: Any] ?? [:]
            #expect(result["isError"] as? Bool == true)
            #expect(envelope["ok"] as? Bool == false && envelope["result"] is NSNull && envelope["output"] as? String == "kept\n")
            #expect(errorKind(envelope) == "limit" && errorMessage(envelope).contains("more than the 4 MiB a tool result may hold"), "\(errorMessage(envelope))")
            #expect(session.pings())
        }
    }

    @Test func malformedJSONRPCIsAnsweredAsTheSpecificationSays() async throws {
        try await onThread {
            let session = try RawMCPSession()
            defer { session.close() }
            try session.initialize()
            func answer(_ line: String) -> [String: Any] {
                session.send(line)
                return session.receive(timeout: 10)?.message ?? [:]
            }
            // Not JSON: a parse error, id null.
            for line in [#"{"jsonrpc":"2.0","id":5,"method":"ping""#, "not json", #"{"id":5,}"#] {
                let parsed = answer(line)
                #expect(rpcError(parsed).code == -32700, "\(line): \(parsed)")
                #expect(parsed["id"] is NSNull, "\(line): \(parsed)")
                #expect(session.pings())
            }
            // Ids that are not a string or a 64-bit integer: Invalid Request, id null.
            for id in ["1e400", "1.5", "99999999999999999999", #"{"a":1}"#, "[1]", "true", "null", "-1e400"] {
                let invalid = answer(#"{"jsonrpc":"2.0","id":"# + id + #","method":"ping"}"#)
                #expect(rpcError(invalid).code == -32600, "id \(id): \(invalid)")
                #expect(invalid["id"] is NSNull, "id \(id): \(invalid)")
                #expect(rpcError(invalid).message.contains("the id must be a string or an integer"), "id \(id): \(invalid)")
                #expect(session.pings(), "after id \(id)")
            }
            // Not a message at all.
            for line in ["[]", "42", #"{"jsonrpc":"1.0","id":3,"method":"ping"}"#, #"{"jsonrpc":"2.0","id":3}"#, #"{"jsonrpc":"2.0","id":3,"method":7}"#] {
                let invalid = answer(line)
                #expect(rpcError(invalid).code == -32600, "\(line): \(invalid)")
            }
            // Wrong parameter types: Invalid params, the id echoed as written.
            let wrongTypes: [(String, String, String)] = [
                (#"{"jsonrpc":"2.0","id":11,"method":"tools/call","params":{"name":5}}"#, "params.name' must be a string", "11"),
                (#"{"jsonrpc":"2.0","id":"s-12","method":"tools/call","params":{"name":"search_functions","arguments":"x"}}"#, "params.arguments' must be an object", "s-12"),
                (#"{"jsonrpc":"2.0","id":13,"method":"tools/call","params":"x"}"#, "Invalid params for tools/call", "13"),
                (#"{"jsonrpc":"2.0","id":14,"method":"tools/call","params":{"name":"search_functions","arguments":{"limit":1e400}}}"#, "1e400", "14"),
                (#"{"jsonrpc":"2.0","id":15,"method":"ping","params":5}"#, "Invalid params for ping", "15"),
                (#"{"jsonrpc":"2.0","id":16,"method":"initialize","params":{"protocolVersion":5}}"#, "params.protocolVersion' must be a string", "16"),
            ]
            for (line, detail, id) in wrongTypes {
                let wrong = answer(line)
                #expect(rpcError(wrong).code == -32602, "\(line): \(wrong)")
                #expect(rpcError(wrong).message.contains(detail), "\(line): \(rpcError(wrong).message)")
                #expect("\(wrong["id"] ?? "none")" == id, "\(line): \(wrong)")
                #expect(session.pings())
            }
            // A string id is echoed; the server still serves tools.
            let echoed = answer(#"{"jsonrpc":"2.0","id":"x-1","method":"ping"}"#)
            #expect(echoed["id"] as? String == "x-1" && echoed["result"] != nil)
            let found = try session.call("search_functions", ["query": "cancel prediction"])
            #expect((((found["structuredContent"] as? [String: Any])?["results"] as? [[String: Any]])?.first?["name"] as? String) == "cancel_prediction")
        }
    }
}
