import Foundation
import Testing

/// A JSON-RPC session with `kosmo-lua mcp` over its standard input and output, as an MCP
/// client drives it: one JSON message per line. Blocking, so it runs on a thread of its own.
final class MCPSession: @unchecked Sendable {
    private let process: LineProcess
    private var nextID = 1
    /// Answers requests the server sends (elicitation); nil: answer with an error.
    var onRequest: (([String: Any]) -> [String: Any]?)?
    /// Requests the server sent, by method.
    private(set) var serverRequests: [String] = []
    /// Lines on standard output that were not JSON-RPC messages (there must be none).
    private(set) var strayLines: [String] = []

    init(_ arguments: [String], executable: String = Binaries.kosmo, environment: [String: String] = [:]) throws {
        process = try LineProcess(executable, arguments, environment: environment)
    }

    /// The server's process id (`kosmo-lua mcp` replaces itself with the server, so it is the same).
    var pid: pid_t { process.pid }

    func send(_ message: [String: Any]) throws {
        process.send(try JSONSerialization.data(withJSONObject: message))
    }

    /// The next message, or nil after `timeout` seconds.
    func receive(timeout: Double) -> [String: Any]? {
        let deadline = Date().addingTimeInterval(timeout)
        while let line = process.line(timeout: deadline.timeIntervalSinceNow) {
            if let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] { return object }
            strayLines.append(String(decoding: line, as: UTF8.self))
        }
        return nil
    }

    /// The server's child processes (its running executions).
    func children() -> [String] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(process.pid)/task")) ?? []
        return tasks.flatMap { task in
            ((try? String(contentsOfFile: "/proc/\(process.pid)/task/\(task)/children", encoding: .utf8)) ?? "")
                .split(separator: " ").map(String.init)
        }
    }

    /// Sends a request and returns its response, answering server requests meanwhile.
    func request(_ method: String, _ params: [String: Any] = [:], timeout: Double = 30) throws -> [String: Any] {
        let id = nextID
        nextID += 1
        try send(["jsonrpc": "2.0", "id": id, "method": method, "params": params])
        let deadline = Date().addingTimeInterval(timeout)
        while let message = receive(timeout: deadline.timeIntervalSinceNow) {
            if let method = message["method"] as? String, let requestID = message["id"] {
                serverRequests.append(method)
                if let result = onRequest?(message) {
                    try send(["jsonrpc": "2.0", "id": requestID, "result": result])
                } else {
                    try send(["jsonrpc": "2.0", "id": requestID, "error": ["code": -32601, "message": "not supported"]])
                }
                continue
            }
            if message["id"] as? Int == id { return message }
        }
        throw NSError(domain: "no response to \(method) within \(timeout) s", code: 0)
    }

    func initialize(elicitation: Bool = false) throws -> [String: Any] {
        let capabilities: [String: Any] = elicitation ? ["elicitation": [String: Any]()] : [:]
        let response = try request("initialize", ["protocolVersion": "2025-06-18", "capabilities": capabilities,
                                                  "clientInfo": ["name": "kosmo-tests", "version": "1"]])
        try send(["jsonrpc": "2.0", "method": "notifications/initialized"])
        return response
    }

    /// `tools/call`, returning the result object.
    func call(_ tool: String, _ arguments: [String: Any], timeout: Double = 30) throws -> [String: Any] {
        let response = try request("tools/call", ["name": tool, "arguments": arguments], timeout: timeout)
        guard let result = response["result"] as? [String: Any] else {
            throw NSError(domain: "tools/call \(tool) failed: \(response)", code: 0)
        }
        return result
    }

    /// `execute_lua`, returning the envelope (structured content) and the whole result.
    func execute(_ code: String, _ extra: [String: Any] = [:], timeout: Double = 30) throws -> (envelope: [String: Any], result: [String: Any]) {
        var arguments = extra
        arguments["code"] = code
        let result = try call("execute_lua", arguments, timeout: timeout)
        return (result["structuredContent"] as? [String: Any] ?? [:], result)
    }

    /// Closes standard input (the client went away) and waits for the server to exit.
    @discardableResult
    func close(timeout: Double = 10) -> Int32? {
        process.close(timeout: timeout)
    }
}

/// Runs blocking work on a thread of its own (never on a cooperative thread).
func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

func toolText(_ result: [String: Any]) -> String {
    ((result["content"] as? [[String: Any]])?.first?["text"] as? String) ?? ""
}

/// `kosmo-lua mcp` end to end over stdio.
@Suite struct MCPTests {
    static let helloVersion = ExecTests.helloVersion

    /// initialize, list tools, a fan-out through execute_lua, a denied write, and the simulator's
    /// state kept between executions.
    @Test func sessionWithFanOutAndADeniedWrite() async throws {
        try await onThread {
            let session = try MCPSession(["mcp", "--sim", "--write", "ask", "--allow", "run,create_prediction"])
            defer { session.close() }
            let initialized = try session.initialize()
            let info = (initialized["result"] as? [String: Any])?["serverInfo"] as? [String: Any]
            #expect(info?["name"] as? String == "kosmo-lua")

            let tools = ((try session.request("tools/list")["result"] as? [String: Any])?["tools"] as? [[String: Any]]) ?? []
            let names = tools.compactMap { $0["name"] as? String }
            #expect(names == ["execute_lua", "search_functions", "describe_function", "describe_model", "end_session"])
            #expect((tools.first?["outputSchema"] as? [String: Any])?["required"] != nil)

            let fanOut = """
                local texts = {"a", "b", "c", "d", "e"}
                return replicate.map(texts, function(text)
                  return replicate.run("replicate/hello-world:\(Self.helloVersion)", {text = text})
                end, {concurrency = 5})
                """
            let (envelope, result) = try session.execute(fanOut)
            #expect(envelope["ok"] as? Bool == true, "\(envelope)")
            #expect(envelope["result"] as? [String] == ["hello a", "hello b", "hello c", "hello d", "hello e"])
            #expect(calls(envelope).filter { $0["function"] as? String == "run" }.count == 5)
            #expect(result["isError"] as? Bool == false)
            #expect(toolText(result).hasPrefix("ok: "))

            let (denied, deniedResult) = try session.execute("return replicate.delete_model('replicate/hello-world')")
            #expect(denied["ok"] as? Bool == false)
            #expect(errorKind(denied) == "permission")
            #expect(errorMessage(denied).contains("--allow delete_model"))
            #expect(errorMessage(denied).contains("does not support elicitation"))
            #expect(deniedResult["isError"] as? Bool == true)
            #expect(toolText(deniedResult).hasPrefix("error (permission): "))

            // One simulator for the whole session: a prediction made in one execution is there in the next.
            let (created, _) = try session.execute("return replicate.create_prediction{version = '\(Self.helloVersion)', input = {text = 's'}}.id")
            let id = created["result"] as? String ?? ""
            #expect(!id.isEmpty, "\(created)")
            let (waited, _) = try session.execute("local p = replicate.wait(...) return p.status .. ' ' .. p.output".replacingOccurrences(of: "...", with: "'\(id)'"))
            #expect(waited["result"] as? String == "succeeded hello s", "\(waited)")
            #expect(session.strayLines.isEmpty, "standard output carries only JSON-RPC: \(session.strayLines)")
        }
    }

    @Test func limitsAndErrorsComeBackAsEnvelopes() async throws {
        try await onThread {
            let session = try MCPSession(["mcp", "--sim", "--timeout", "2"])
            defer { session.close() }
            _ = try session.initialize()
            let started = Date()
            let (looped, _) = try session.execute("while true do end", ["timeout_seconds": 1])
            #expect(errorKind(looped) == "limit")
            #expect(errorMessage(looped).contains("time limit exceeded (1 s)"))
            #expect(Date().timeIntervalSince(started) < 4)
            // A call cannot raise the server's limits.
            let (capped, _) = try session.execute("while true do end", ["timeout_seconds": 600])
            #expect(errorMessage(capped).contains("time limit exceeded (2 s)"))
            let (watchdog, _) = try session.execute(#"return (("a"):rep(1e5)):find(".-.-.-.-b")"#, ["timeout_seconds": 1])
            #expect(errorKind(watchdog) == "limit" && errorMessage(watchdog).contains("watchdog"))
            let (syntax, _) = try session.execute("return +")
            #expect(errorKind(syntax) == "syntax")
            let (printed, _) = try session.execute("print('line') return 1", ["output_limit_bytes": 3])
            #expect(printed["output"] as? String == "lin" && printed["output_truncated"] as? Bool == true)
            let missing = try session.call("execute_lua", [:])
            #expect(missing["isError"] as? Bool == true && toolText(missing).contains("needs 'code'"))
        }
    }

    @Test func discoveryTools() async throws {
        try await onThread {
            let session = try MCPSession(["mcp"])
            defer { session.close() }
            _ = try session.initialize()
            let found = try session.call("search_functions", ["query": "cancel prediction"])
            let results = (found["structuredContent"] as? [String: Any])?["results"] as? [[String: Any]] ?? []
            #expect(results.first?["name"] as? String == "cancel_prediction")
            #expect(results.first?["access"] as? String == "write")
            let described = try session.call("describe_function", ["name": "get_model"])
            let structured = described["structuredContent"] as? [String: Any] ?? [:]
            #expect(structured["access"] as? String == "read")
            #expect(((structured["schema"] as? [String: Any])?["required"] as? [String]) == ["model_owner", "model_name"])
            #expect(toolText(described).contains("Example:"))
            let unknown = try session.call("describe_function", ["name": "get_modle"])
            #expect(unknown["isError"] as? Bool == true && toolText(unknown).contains("did you mean 'get_model'"))
        }
    }

    /// `ask` becomes an elicitation when the client supports it; answers map to the prompt's.
    @Test func askBecomesAnElicitation() async throws {
        try await onThread {
            let session = try MCPSession(["mcp", "--sim", "--write", "ask"])
            defer { session.close() }
            _ = try session.initialize(elicitation: true)
            var answer = "allow once"
            var questions: [String] = []
            session.onRequest = { request in
                let params = request["params"] as? [String: Any] ?? [:]
                questions.append(params["message"] as? String ?? "")
                return ["action": "accept", "content": ["answer": answer]]
            }
            let run = "return replicate.run('replicate/hello-world:\(Self.helloVersion)', {text = 'e'})"
            let (approved, _) = try session.execute(run)
            #expect(approved["result"] as? String == "hello e", "\(approved)")
            #expect(calls(approved).first?["decision"] as? String == "approved")
            #expect(questions.count == 1 && questions[0].contains("allow write call replicate.run("))

            answer = "deny"
            let (refused, _) = try session.execute(run)
            #expect(errorKind(refused) == "permission" && errorMessage(refused).contains("refused at the prompt"))

            answer = "always allow this function"
            _ = try session.execute(run)
            let asked = questions.count
            let (remembered, _) = try session.execute(run)
            #expect(remembered["ok"] as? Bool == true)
            #expect(questions.count == asked, "an 'always' answer is remembered for the session")
            #expect(session.serverRequests.allSatisfy { $0 == "elicitation/create" })
        }
    }

    /// A person who takes longer to answer than the execution's whole time limit: neither the
    /// child nor the server (which kills a child at its limit plus 1.7 s) counts the wait.
    @Test func aSlowAnswerDoesNotCountTowardTheTimeLimit() async throws {
        try await onThread {
            let session = try MCPSession(["mcp", "--sim", "--write", "ask"])
            defer { session.close() }
            _ = try session.initialize(elicitation: true)
            session.onRequest = { _ in
                usleep(3_500_000)
                return ["action": "accept", "content": ["answer": "allow once"]]
            }
            let run = "return replicate.run('replicate/hello-world:\(Self.helloVersion)', {text = 'slow'})"
            let (answered, _) = try session.execute(run, ["timeout_seconds": 1])
            #expect(answered["result"] as? String == "hello slow", "\(answered)")
            #expect(calls(answered).first?["decision"] as? String == "approved")
        }
    }

    @Test func exposeFunctionsOffersToolsPerPolicy() async throws {
        try await onThread {
            let session = try MCPSession(["mcp", "--sim", "--write", "ask", "--expose", "functions"])
            defer { session.close() }
            _ = try session.initialize()
            let tools = ((try session.request("tools/list")["result"] as? [String: Any])?["tools"] as? [[String: Any]]) ?? []
            let byName = Dictionary(uniqueKeysWithValues: tools.compactMap { tool in (tool["name"] as? String).map { ($0, tool) } })
            #expect(tools.count == 5 + 22, "the 22 reads; writes ask by default, so they are hidden")
            #expect(byName["replicate_create_prediction"] == nil)
            let getModel = byName["replicate_get_model"] ?? [:]
            #expect((getModel["annotations"] as? [String: Any])?["readOnlyHint"] as? Bool == true)
            #expect(((getModel["inputSchema"] as? [String: Any])?["required"] as? [String]) == ["model_owner", "model_name"])
            let result = try session.call("replicate_get_model", ["model_owner": "replicate", "model_name": "hello-world"])
            let envelope = result["structuredContent"] as? [String: Any] ?? [:]
            #expect((envelope["result"] as? [String: Any])?["name"] as? String == "hello-world", "\(envelope)")
            let hidden = try session.call("replicate_delete_model", ["model_owner": "a", "model_name": "b"])
            #expect(hidden["isError"] as? Bool == true && toolText(hidden).contains("there is no tool"))
        }
        try await onThread {
            let session = try MCPSession(["mcp", "--sim", "--expose", "functions"])
            defer { session.close() }
            _ = try session.initialize()
            let tools = ((try session.request("tools/list")["result"] as? [String: Any])?["tools"] as? [[String: Any]]) ?? []
            #expect(tools.count == 5 + 37)
            let delete = tools.first { $0["name"] as? String == "replicate_delete_model" }
            let hints = delete?["annotations"] as? [String: Any] ?? [:]
            #expect(hints["readOnlyHint"] as? Bool == false && hints["destructiveHint"] as? Bool == true)
        }
    }

    /// The server kills an execution that outlives its hard deadline, and still answers.
    @Test func hardDeadlineKillsTheChild() async throws {
        let directory = try temporaryDirectory()
        let stuck = directory + "/stuck-kosmo-lua"
        try write("#!/bin/sh\nexec sleep 60\n", to: stuck)
        chmod(stuck, 0o755)
        let server = URL(fileURLWithPath: Binaries.kosmo).deletingLastPathComponent().appendingPathComponent("kosmo-lua-mcp").path
        try await onThread {
            let session = try MCPSession(["--timeout", "1"], executable: server, environment: ["KOSMO_LUA_EXECUTABLE": stuck])
            defer { session.close() }
            _ = try session.initialize()
            let started = Date()
            let (killed, _) = try session.execute("return 1")
            let seconds = Date().timeIntervalSince(started)
            #expect(errorKind(killed) == "limit")
            #expect(errorMessage(killed).contains("did not finish within its hard deadline"))
            #expect(seconds > 2.5 && seconds < 5, "killed after \(seconds) s")
        }
    }

    /// A cancelled request ends its execution's process; the server carries on.
    @Test func cancellingARequestEndsItsChild() async throws {
        try await onThread {
            let session = try MCPSession(["mcp"])
            defer { session.close() }
            _ = try session.initialize()
            try session.send(["jsonrpc": "2.0", "id": 99, "method": "tools/call",
                              "params": ["name": "execute_lua", "arguments": ["code": "while true do end"]]])
            var running: [String] = []
            for _ in 0..<100 where running.isEmpty {
                usleep(20_000)
                running = session.children()
            }
            #expect(running.count == 1, "the execution runs in a child process")
            try session.send(["jsonrpc": "2.0", "method": "notifications/cancelled", "params": ["requestId": 99, "reason": "test"]])
            for _ in 0..<100 where !session.children().isEmpty { usleep(20_000) }
            #expect(session.children().isEmpty, "the cancelled execution's process was ended")
            let (after, _) = try session.execute("return 'still here'")
            #expect(after["result"] as? String == "still here")
        }
    }

    @Test func serverExitsWhenTheClientGoesAway() async throws {
        try await onThread {
            let session = try MCPSession(["mcp"])
            _ = try session.initialize()
            #expect(session.close(timeout: 5) == 0)
        }
    }
}
