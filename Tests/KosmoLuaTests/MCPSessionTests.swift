import Foundation
import Testing

/// `execute_lua` sessions over JSON-RPC against `kosmo-lua mcp --sim`: state that lasts between
/// calls, `end_session`, the errors for a session that is not open, the cap on sessions, limits
/// per call and per session, and `replicate.sleep`.
@Suite struct MCPSessionTests {
    func sessionID(_ envelope: [String: Any]) -> String { envelope["session"] as? String ?? "" }

    /// Runs `body` on a thread of its own with `kosmo-lua mcp --sim` (and `flags`) started and
    /// initialized, and closes the server after it.
    func withServer(_ flags: [String] = [], _ body: @escaping @Sendable (MCPSession) throws -> Void) async throws {
        try await onThread {
            let mcp = try MCPSession(["mcp", "--sim"] + flags)
            defer { mcp.close() }
            _ = try mcp.initialize()
            try body(mcp)
        }
    }

    /// Opens a session whose first call runs `code`; its id.
    func openSession(_ mcp: MCPSession, _ code: String) throws -> String {
        sessionID(try mcp.execute(code, ["session": "new"]).0)
    }

    @Test func aGlobalSetInOneCallIsReadInTheNext() async throws {
        try await withServer { mcp in
            let (first, _) = try mcp.execute("count = 41 return count", ["session": "new"])
            #expect(first["ok"] as? Bool == true && first["result"] as? Int == 41, "\(first)")
            let id = sessionID(first)
            #expect(id.hasPrefix("s-"), "\(first)")
            let (second, _) = try mcp.execute("count = count + 1 return count", ["session": id])
            #expect(second["result"] as? Int == 42, "\(second)")
            #expect(sessionID(second) == id)
            // A call without the session starts from a fresh state, and carries no session.
            let (fresh, _) = try mcp.execute("return count == nil")
            #expect(fresh["result"] as? Bool == true && fresh["session"] == nil, "\(fresh)")
            // Two sessions do not share globals.
            let (other, _) = try mcp.execute("return count == nil", ["session": "new"])
            #expect(other["result"] as? Bool == true && sessionID(other) != id, "\(other)")
            // Each call's output and calls are its own.
            let (printed, _) = try mcp.execute("print('one') replicate.get_account() return 1", ["session": id])
            #expect(printed["output"] as? String == "one\n" && calls(printed).count == 1, "\(printed)")
            let (quiet, _) = try mcp.execute("return count", ["session": id])
            #expect(quiet["output"] as? String == "" && calls(quiet).isEmpty && quiet["result"] as? Int == 42, "\(quiet)")
        }
    }

    @Test func endSessionEndsItAndItsIDIsThenAClearError() async throws {
        try await withServer { mcp in
            let id = try openSession(mcp, "x = 1")
            var running: [String] = []
            for _ in 0..<100 where running.isEmpty {
                running = mcp.children()
                if running.isEmpty { usleep(20_000) }
            }
            #expect(running.count == 1, "a session is one child process")
            let ended = try mcp.call("end_session", ["session": id])
            #expect(ended["isError"] as? Bool != true, "\(ended)")
            #expect((ended["structuredContent"] as? [String: Any])?["ended"] as? String == id)
            for _ in 0..<100 where !mcp.children().isEmpty { usleep(20_000) }
            #expect(mcp.children().isEmpty, "the session's process ended")
            let (after, result) = try mcp.execute("return x", ["session": id])
            #expect(result["isError"] as? Bool == true)
            #expect(errorKind(after) == "usage")
            #expect(errorMessage(after).contains("end_session ended it") && errorMessage(after).contains(#"session = "new""#), "\(after)")
            let again = try mcp.call("end_session", ["session": id])
            #expect(again["isError"] as? Bool == true, "\(again)")
        }
    }

    @Test func anUnknownSessionIsAToolErrorSayingHowToOpenOne() async throws {
        try await withServer { mcp in
            let (envelope, result) = try mcp.execute("return 1", ["session": "s-nope"])
            #expect(result["isError"] as? Bool == true)
            #expect(errorKind(envelope) == "usage")
            let message = errorMessage(envelope)
            #expect(message.contains("no session 's-nope' is open") && message.contains(#"pass session = "new""#), "\(message)")
            let (wrongType, _) = try mcp.execute("return 1", ["session": 7])
            #expect(errorKind(wrongType) == "usage" && errorMessage(wrongType).contains("'session'"), "\(wrongType)")
            let unknown = try mcp.call("end_session", ["session": "s-nope"])
            #expect(unknown["isError"] as? Bool == true && toolText(unknown).contains("no session 's-nope' is open"), "\(unknown)")
        }
    }

    @Test func sessionsAreCappedInNumber() async throws {
        try await withServer(["--max-sessions", "2"]) { mcp in
            let (a, _) = try mcp.execute("return 1", ["session": "new"])
            let (b, _) = try mcp.execute("return 2", ["session": "new"])
            #expect(!sessionID(a).isEmpty && !sessionID(b).isEmpty)
            let (third, result) = try mcp.execute("return 3", ["session": "new"])
            #expect(result["isError"] as? Bool == true && errorKind(third) == "usage")
            #expect(errorMessage(third).contains("--max-sessions 2") && errorMessage(third).contains("end_session"), "\(third)")
            _ = try mcp.call("end_session", ["session": sessionID(a)])
            let (reopened, _) = try mcp.execute("return 4", ["session": "new"])
            #expect(reopened["result"] as? Int == 4, "\(reopened)")
        }
    }

    @Test func limitsApplyToEachCallAndTheSessionSurvivesThem() async throws {
        try await withServer(["--memory", "32"]) { mcp in
            let id = try openSession(mcp, "kept = 'still here' return 1")
            let (slow, _) = try mcp.execute("while true do end", ["session": id, "timeout_seconds": 0.5])
            #expect(errorKind(slow) == "limit" && errorMessage(slow).contains("time limit"), "\(slow)")
            let (counted, _) = try mcp.execute("for i = 1, 1e9 do end", ["session": id, "instructions": 100000])
            #expect(errorKind(counted) == "limit", "\(counted)")
            let (printed, _) = try mcp.execute("for i = 1, 100 do print(('x'):rep(100)) end", ["session": id, "output_limit_bytes": 2000])
            #expect(printed["output_truncated"] as? Bool == true, "\(printed)")
            // Memory is the whole state's: the server's 32 MiB caps what the session keeps.
            let (big, _) = try mcp.execute("hoard = {} for i = 1, 1e8 do hoard[i] = i end", ["session": id])
            #expect(errorKind(big) == "limit" && errorMessage(big).contains("memory"), "\(big)")
            // The time limit counts from each call's start, not the session's.
            let (after, _) = try mcp.execute("hoard = nil return kept", ["session": id, "timeout_seconds": 5])
            #expect(after["ok"] as? Bool == true && after["result"] as? String == "still here", "\(after)")
        }
    }

    @Test func theWatchdogEndsTheSessionWithAClearMessage() async throws {
        try await withServer { mcp in
            let id = try openSession(mcp, "x = 1")
            let (stuck, _) = try mcp.execute(#"return (("a"):rep(1e5)):find(".-.-.-.-b")"#, ["session": id, "timeout_seconds": 1], timeout: 20)
            #expect(errorKind(stuck) == "limit", "\(stuck)")
            #expect(errorMessage(stuck).contains("watchdog") && errorMessage(stuck).contains("the session ended"), "\(stuck)")
            let (after, _) = try mcp.execute("return x", ["session": id])
            #expect(errorKind(after) == "usage" && errorMessage(after).contains(#"session = "new""#), "\(after)")
        }
    }

    @Test func endingASessionWhileACallRunsEndsTheCallSayingSo() async throws {
        try await withServer { mcp in
            let id = try openSession(mcp, "x = 1")
            try mcp.send(["jsonrpc": "2.0", "id": 99, "method": "tools/call",
                          "params": ["name": "execute_lua", "arguments": ["code": "while true do end", "session": id]]])
            usleep(300_000)
            try mcp.send(["jsonrpc": "2.0", "id": 100, "method": "tools/call",
                          "params": ["name": "end_session", "arguments": ["session": id]]])
            var replies: [Int: [String: Any]] = [:]
            let deadline = Date().addingTimeInterval(20)
            while replies.count < 2, let message = mcp.receive(timeout: deadline.timeIntervalSinceNow) {
                if let reply = message["id"] as? Int { replies[reply] = message["result"] as? [String: Any] ?? [:] }
            }
            #expect(replies[100]?["isError"] as? Bool != true, "\(replies)")
            let running = replies[99]?["structuredContent"] as? [String: Any] ?? [:]
            #expect(errorMessage(running).contains("ended while this call ran") && errorMessage(running).contains("end_session"), "\(running)")
        }
    }

    @Test func theSpendGuardCountsAcrossASessionsCalls() async throws {
        try await withServer(["--max-predictions", "2"]) { mcp in
            let prediction = #"replicate.create_prediction{version = "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa", input = {text = "x"}}.id"#
            let create = "return " + prediction
            let (first, _) = try mcp.execute("return {\(prediction), \(prediction)}", ["session": "new"])
            #expect(first["ok"] as? Bool == true, "\(first)")
            let (third, _) = try mcp.execute(create, ["session": sessionID(first)])
            #expect(errorKind(third) == "limit" && errorMessage(third).contains("at most 2"), "\(third)")
            // Outside the session the count starts again.
            let (fresh, _) = try mcp.execute(create)
            #expect(fresh["ok"] as? Bool == true, "\(fresh)")
        }
    }

    @Test func thePredictTimeBudgetCountsAcrossASessionsCalls() async throws {
        try await withServer(["--max-predict-seconds", "1.5"]) { mcp in
            // Each run reports about a second of predict time: the first call's passes 1.5 s only
            // with the second, so the session's next create is refused though its own call made none.
            let run = #"replicate.run("sim/slow", {seconds = 1})"#
            let (first, _) = try mcp.execute("\(run) \(run) return 'two'", ["session": "new"])
            #expect(first["ok"] as? Bool == true, "\(first)")
            let (next, _) = try mcp.execute("return \(run)", ["session": sessionID(first)])
            #expect(errorKind(next) == "limit" && errorMessage(next).contains("predict time"), "\(next)")
            // Each call's usage is its own.
            #expect(((first["usage"] as? [String: Any])?["predictions"] as? Int) == 2, "\(first)")
        }
    }

    @Test func anIdleSessionEnds() async throws {
        try await withServer(["--session-idle", "1"]) { mcp in
            let id = try openSession(mcp, "x = 1")
            let (soon, _) = try mcp.execute("return x", ["session": id])
            #expect(soon["result"] as? Int == 1, "\(soon)")
            usleep(2_500_000)
            let (late, _) = try mcp.execute("return x", ["session": id])
            #expect(errorKind(late) == "usage" && errorMessage(late).contains("without a call"), "\(late)")
        }
    }

    @Test func sleepInsideMapTasksOverlapsAndCountsTowardTheTimeLimit() async throws {
        try await withServer { mcp in
            // Four one-second sleeps one after another would take four seconds.
            let (mapped, _) = try mcp.execute("return replicate.map({1, 2, 3, 4}, function(i) replicate.sleep(1) return i * 10 end)", ["session": "new"])
            #expect(mapped["result"] as? [Int] == [10, 20, 30, 40], "\(mapped)")
            let ms = (mapped["stats"] as? [String: Any])?["ms"] as? Double ?? 0
            #expect(ms >= 950 && ms < 3500, "the sleeps overlapped: \(ms) ms")
            let (long, _) = try mcp.execute("replicate.sleep(30)", ["timeout_seconds": 0.5])
            #expect(errorKind(long) == "limit" && errorMessage(long).contains("time limit"), "\(long)")
            let (inTask, _) = try mcp.execute("replicate.map({1}, function() replicate.sleep(30) end)", ["timeout_seconds": 0.5])
            #expect(errorKind(inTask) == "limit", "\(inTask)")
            for bad in ["replicate.sleep(-1)", "replicate.sleep(1e6)", "replicate.sleep(0/0)", "replicate.sleep('1')"] {
                let (refused, _) = try mcp.execute(bad)
                #expect(errorKind(refused) == "validation" && errorMessage(refused).contains("replicate.sleep"), "\(bad): \(refused)")
            }
            let (zero, _) = try mcp.execute("replicate.sleep(0) return 'ok'")
            #expect(zero["result"] as? String == "ok", "\(zero)")
        }
    }
}
