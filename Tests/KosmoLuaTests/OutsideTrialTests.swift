import Foundation
import Testing

/// Edges an outside trial of the built binary found, each tried as it was found: a damaged or
/// foreign journal file, a cursor to another host, a `__len` that lies, a limit caught at a
/// chunk's end, an MCP server killed under its children, a script stopped by SIGTERM, a file
/// under an input key the schema does not name, a timeout under a second, numbers past the
/// API's range, and the kinds and words of option errors.
@Suite(.serialized) struct OutsideTrialTests {
    static let simEnvironment = ["KOSMO_LUA_CACHE": "off"]

    @Test func aDamagedJournalIsAnErrorNamingTheColumnNotACrash() async throws {
        let directory = try temporaryDirectory()
        let journal = directory + "/damaged.journal"
        let first = try await kosmo(["--sim", "--allow", "run", "--journal", journal, "-e", #"replicate.run("replicate/hello-world", {text = "x"})"#])
        #expect(first.status == 0, "\(first.stderr)")
        // A blob where the journal keeps text, as an editor or another program could leave it.
        let edit = try await runProcess("/usr/bin/env", ["python3", "-c",
            "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute(\"update creates set target = x'ff'\"); c.commit()", journal])
        #expect(edit.status == 0, "\(edit.stderr)")
        let shown = try await kosmo(["journal", journal])
        #expect(shown.status == 1, "\(shown.stdout)\(shown.stderr)")
        #expect(shown.stderr.contains("is damaged") && shown.stderr.contains("'target'") && shown.stderr.contains("--journal-reset"), "\(shown.stderr)")
        let rerun = try await kosmo(["--sim", "--allow", "run", "--journal", journal, "-e", #"replicate.run("replicate/hello-world", {text = "x"})"#])
        #expect(rerun.status == 1 && rerun.stderr.contains("is damaged"), "\(rerun.stderr)")
        #expect(!rerun.stderr.contains("Fatal error"), "\(rerun.stderr)")
    }

    @Test func aDatabaseThatIsNotAJournalIsRefusedAndLeftAsItWas() async throws {
        let directory = try temporaryDirectory()
        let database = directory + "/users.db"
        let made = try await runProcess("/usr/bin/env", ["python3", "-c",
            "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('create table users (id integer, name text)'); c.commit()", database])
        #expect(made.status == 0, "\(made.stderr)")
        let before = try Data(contentsOf: URL(fileURLWithPath: database))
        let run = try await kosmo(["--sim", "--allow", "run", "--journal", database, "-e", #"print(replicate.run("replicate/hello-world", {text = "x"}))"#])
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        #expect(run.stderr.contains("not a kosmo-lua journal") && run.stderr.contains("users"), "\(run.stderr)")
        #expect(!run.stdout.contains("hello"), "nothing ran: \(run.stdout)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: database)) == before, "the database was changed")
    }

    @Test func aCursorOnAnotherHostIsRefusedBeforeAnyRequest() async throws {
        for code in [#"return replicate.list_models{cursor = "http://127.0.0.1:9/latest/meta-data/"}"#,
                     #"return replicate.list_models{cursor = "https://evil.example.com/v1/models?cursor=x"}"#,
                     #"return replicate.search_models{query = "x", cursor = "http://169.254.169.254/latest/"}"#] {
            let (_, found) = try await execJSON(code, ["--sim"])
            #expect(errorKind(found) == "validation", "\(code): \(found)")
            #expect(errorMessage(found).contains("not on the API's own origin"), "\(code): \(errorMessage(found))")
            #expect(calls(found).allSatisfy { $0["status"] == nil || $0["status"] is NSNull }, "no request answered: \(found)")
        }
        // The API's own cursors still page.
        let (_, paged) = try await execJSON(#"local n = 0 for _ in replicate.paginate("list_models") do n = n + 1 end return n"#, ["--sim"])
        #expect((paged["result"] as? Int ?? 0) > 1, "\(paged)")
    }

    @Test func mapAndAllCountItemsRawSoALyingLenCostsNothing() async throws {
        let (result, found) = try await execJSON(
            "return replicate.map(setmetatable({}, {__len = function() return 1e8 end}), function(i) return i end)",
            ["--sim", "--timeout", "10"])
        #expect(found["ok"] as? Bool == true, "\(found)")
        #expect(result.seconds < 5, "took \(result.seconds) s")
        let (_, real) = try await execJSON(
            "return replicate.map(setmetatable({10, 20}, {__len = function() return 5 end}), function(x) return x + 1 end)", ["--sim"])
        #expect(real["result"] as? [Int] == [11, 21], "\(real)")
    }

    @Test func aLimitCaughtJustBeforeTheChunkReturnsStillEndsTheRun() async throws {
        let cases: [(code: String, flags: [String], message: String)] = [
            ("return pcall(function() while true do end end)", ["--timeout", "1"], "time limit"),
            ("return pcall(function() for i = 1, 1e12 do end end)", ["--instructions", "100000"], "instruction limit"),
            ("local ok, e = pcall(function() while true do replicate.get_account() end end) return tostring(e)", ["--timeout", "2"], "time limit"),
        ]
        for c in cases {
            let (result, found) = try await execJSON(c.code, ["--sim"] + c.flags)
            #expect(found["ok"] as? Bool == false && errorKind(found) == "limit", "\(c.code): \(found)")
            #expect(errorMessage(found).contains(c.message), "\(c.code): \(errorMessage(found))")
            #expect(result.status == 1)
        }
        // Catching an error that is not a limit is the script's business.
        let (_, caught) = try await execJSON("return pcall(error, 'mine')", ["--sim"])
        #expect(caught["ok"] as? Bool == true, "\(caught)")
    }

    @Test func anMCPServerKilledTakesItsBusyChildrenWithIt() async throws {
        let children = try await onThread { () -> [String] in
            let mcp = try MCPSession(["mcp", "--sim", "--timeout", "120"])
            defer { mcp.close() }
            _ = try mcp.initialize()
            try mcp.send(["jsonrpc": "2.0", "id": 50, "method": "tools/call",
                          "params": ["name": "execute_lua", "arguments": ["code": "while true do end", "timeout_seconds": 60]]])
            var running: [String] = []
            for _ in 0..<200 where running.isEmpty {
                running = mcp.children()
                if running.isEmpty { usleep(20_000) }
            }
            kill(mcp.pid, SIGKILL)
            return running
        }
        #expect(children.count == 1, "\(children)")
        func alive(_ pid: String) -> Bool {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
            return !stat.contains(") Z ")
        }
        let started = Date()
        while children.contains(where: alive), Date().timeIntervalSince(started) < 10 { usleep(50_000) }
        #expect(!children.contains(where: alive), "the child outlived its server by \(Date().timeIntervalSince(started)) s")
    }

    /// A script that creates a 10-second prediction, has itself sent `signal` a second later,
    /// and waits for the prediction.
    static func stoppedScript(_ signal: String) -> String {
        """
        local p = replicate.create_model_prediction("sim/slow", {seconds = 10})
        io.stderr:write("created ", p.id, "\\n")
        os.execute("(sleep 1; kill -\(signal) $PPID) &")
        replicate.wait(p)
        """
    }

    @Test(arguments: ["INT", "TERM", "HUP"])
    func aStoppedScriptNamesWhatItLeavesRunning(_ signal: String) async throws {
        let run = try await kosmo(["--sim", "--write", "allow", "-e", Self.stoppedScript(signal)], environment: Self.simEnvironment, timeout: 30)
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.stderr.contains("interrupted"), "\(run.stderr)")
        #expect(run.stderr.contains("1 still running") && run.stderr.contains("--cancel-on-exit"), "\(run.stderr)")
        let canceled = try await kosmo(["--sim", "--write", "allow", "--cancel-on-exit", "-e", Self.stoppedScript(signal)],
                                       environment: Self.simEnvironment, timeout: 30)
        #expect(canceled.status == 1, "\(canceled.stderr)")
        #expect(canceled.stderr.contains("canceled 1 still running"), "\(canceled.stderr)")
        #expect(canceled.seconds < 15, "took \(canceled.seconds) s")
    }

    @Test func theREPLNamesWhatAStoppedLineLeftRunningAndGoesOn() async throws {
        let lines = """
            p = replicate.create_model_prediction("sim/slow", {seconds = 10}) os.execute("(sleep 1; kill -INT $PPID) &") replicate.wait(p)
            print("alive", p.id)
            """
        let run = try await kosmo(["--sim", "--write", "allow", "-i"], stdin: lines + "\n", environment: Self.simEnvironment, timeout: 30)
        #expect(run.stderr.contains("interrupted"), "\(run.stderr)")
        let id = run.stdout.split(separator: "\n").first { $0.hasPrefix("alive\t") }.map { String($0.dropFirst(6)) } ?? "?"
        #expect(run.stderr.contains("1 still running: \(id)"), "\(run.stdout) \(run.stderr)")
    }

    @Test func aFileUnderAnyInputKeyIsSentAsAFile() async throws {
        let directory = try temporaryDirectory()
        try write("hello\n", to: directory + "/note.txt")
        let run = try await kosmo(["--sim", "--allow", "run", "-e", """
            local out = replicate.run("sim/echo", {other = replicate.file("\(directory)/note.txt"), handle = io.open("\(directory)/note.txt", "rb")})
            print(out.other) print(out.handle)
            """], environment: Self.simEnvironment)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == "data:text/plain;base64,aGVsbG8K\ndata:text/plain;base64,aGVsbG8K\n", "\(run.stdout)")
        #expect(!run.stdout.contains(directory), "the local path went out: \(run.stdout)")
    }

    @Test func aTimeoutUnderASecondHolds() async throws {
        let (result, found) = try await execJSON(#"""
            local ok, e = pcall(replicate.run, "sim/slow", {seconds = 2}, {timeout = 0.3})
            return {ok, e.kind, e.prediction and e.prediction.status}
            """#, ["--sim", "--allow", "run"])
        let result3 = found["result"] as? [Any] ?? []
        #expect(result3.count == 3 && result3[0] as? Bool == false && result3[1] as? String == "timeout"
                && result3[2] as? String == "canceled", "\(found)")
        #expect(result.seconds < 2, "took \(result.seconds) s")
    }

    @Test func numbersPastTheAPIsRangeAndWrongOptionsAreValidationErrorsBeforeAnyCreate() async throws {
        let cases: [(code: String, says: String)] = [
            (#"replicate.run("replicate/hello-world", {text = "x"}, {cancel_after = math.maxinteger})"#, "8760 h"),
            (#"replicate.run("replicate/hello-world", {text = "x"}, {cancel_after = "99999999999999999h"})"#, "8760 h"),
            (#"replicate.run("replicate/hello-world", {text = "x"}, {cancel_after = "8761h"})"#, "8760 h"),
            (#"replicate.run("replicate/hello-world", {text = "x"}, {wait = "10"})"#, "true or a whole number"),
            (#"replicate.map({1}, function(i) return i end, {concurrency = "4"})"#, #"the string "4""#),
            (#"replicate.map({1}, function(i) return i end, {concurrency = 0/0})"#, "got nan"),
            (#"replicate.all({1})"#, "not a function"),
        ]
        for c in cases {
            let (_, found) = try await execJSON(c.code, ["--sim", "--allow", "run"])
            #expect(errorKind(found) == "validation", "\(c.code): \(found)")
            #expect(errorMessage(found).contains(c.says), "\(c.code): \(errorMessage(found))")
            #expect(!calls(found).contains { ($0["function"] as? String) == "run" && $0["status"] is Int }, "\(c.code): a create was answered")
        }
    }
}
