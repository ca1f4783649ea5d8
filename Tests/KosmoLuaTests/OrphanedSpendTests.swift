import Foundation
import Testing

/// However an agent's snippet ends, what it created is accounted for: canceled when the snippet
/// failed or was stopped (unless `--keep-running`), listed under `running` when it was left by
/// choice, named in `calls` with its final state either way; usage is totalled and budgeted;
/// refusals speak to the agent. Each test runs `exec --json` against a simulator of its own
/// (`kosmo-lua sim`), which outlives the run, so the test can see what is still running in it.
@Suite("What a snippet leaves running and what it used")
struct OrphanedSpendTests {
    static let slowCreate = #"local p = replicate.create_model_prediction{model_owner = "sim", model_name = "slow", input = {seconds = 60}}"#

    /// Every prediction the simulator holds, by id, with its status (read as the runs' own
    /// account sees them, through another `exec`).
    static func predictions(in sim: SimProcess) async throws -> [String: String] {
        let list = """
            local out = {}
            for _, p in ipairs(replicate.list_predictions().results) do out[p.id] = p.status end
            return out
            """
        let (_, e) = try await execJSON(list, ["--sim-url", sim.baseURL])
        #expect(e["ok"] as? Bool == true, "\(e)")
        return e["result"] as? [String: String] ?? [:]
    }

    static func stillGoing(_ predictions: [String: String]) -> [String: String] {
        predictions.filter { ["starting", "processing"].contains($0.value) }
    }

    @Test("A 60 s run ended at a 5 s limit is canceled: nothing runs in the simulator, and the call names it with its final state")
    func aLimitCancelsTheRun() async throws {
        let sim = try await SimProcess.start()
        defer { sim.stop() }
        let (result, e) = try await execJSON(#"return replicate.run("sim/slow", {seconds = 60})"#, ["--sim-url", sim.baseURL, "--timeout", "5"])
        #expect(result.status == 1 && errorKind(e) == "limit", "\(result.stdout) \(result.stderr)")
        // Generous: the limit is 5 s, the run asked for 60.
        #expect(result.seconds < 30, "took \(result.seconds) s")
        let run = calls(e).first { $0["function"] as? String == "run" } ?? [:]
        let id = run["prediction_id"] as? String ?? ""
        #expect(!id.isEmpty, "\(calls(e))")
        #expect(run["in_flight"] as? Bool == true && run["canceled_at_end"] as? Bool == true, "\(run)")
        #expect(run["prediction_status"] as? String == "canceled", "\(run)")
        #expect((e["running"] as? [Any])?.isEmpty == true)
        let held = try await Self.predictions(in: sim)
        #expect(held[id] == "canceled", "\(held)")
        #expect(Self.stillGoing(held).isEmpty, "\(held)")
    }

    @Test("An error after a create cancels the prediction it left running")
    func anErrorCancels() async throws {
        let sim = try await SimProcess.start()
        defer { sim.stop() }
        let (_, e) = try await execJSON(Self.slowCreate + "; io.write('x')", ["--sim-url", sim.baseURL])
        #expect(errorKind(e) == "permission", "\(e)")
        let create = calls(e).first ?? [:]
        #expect(create["function"] as? String == "create_model_prediction" && create["in_flight"] == nil)
        #expect(create["prediction_status"] as? String == "canceled" && create["canceled_at_end"] as? Bool == true, "\(create)")
        #expect(create["model"] as? String == "sim/slow", "\(create)")
        #expect(Self.stillGoing(try await Self.predictions(in: sim)).isEmpty)
    }

    @Test("--keep-running leaves a failed snippet's prediction running and lists it; a snippet that returns lists what it started")
    func leftRunningByChoice() async throws {
        let sim = try await SimProcess.start()
        defer { sim.stop() }
        let (_, kept) = try await execJSON(Self.slowCreate + "; error('boom')", ["--sim-url", sim.baseURL, "--keep-running"])
        #expect(errorKind(kept) == "runtime")
        let running = kept["running"] as? [[String: Any]] ?? []
        let keptID = calls(kept).first?["prediction_id"] as? String ?? ""
        #expect(running.count == 1 && running.first?["id"] as? String == keptID && running.first?["kind"] as? String == "prediction", "\(kept)")
        #expect(["starting", "processing"].contains(running.first?["status"] as? String ?? ""), "\(running)")
        #expect(calls(kept).first?["canceled_at_end"] == nil)

        // The background pattern: start it, return its id, check it in a later call.
        let (_, returned) = try await execJSON(Self.slowCreate + "; return p.id", ["--sim-url", sim.baseURL])
        #expect(returned["ok"] as? Bool == true)
        let id = returned["result"] as? String ?? ""
        #expect((returned["running"] as? [[String: Any]])?.first?["id"] as? String == id, "\(returned)")
        let held = try await Self.predictions(in: sim)
        #expect(Self.stillGoing(held).keys.sorted() == [keptID, id].sorted(), "\(held)")

        let cancel = "replicate.cancel_prediction('\(keptID)'); replicate.cancel_prediction('\(id)')"
        let (_, cleaned) = try await execJSON(cancel, ["--sim-url", sim.baseURL])
        // A run that created nothing says nothing of running or usage.
        #expect(cleaned["ok"] as? Bool == true && cleaned["running"] == nil && cleaned["usage"] == nil, "\(cleaned)")
    }

    @Test("A snippet stuck in a C function when the watchdog ends it still cancels what it created, and names it")
    func theWatchdogSettles() async throws {
        let sim = try await SimProcess.start()
        defer { sim.stop() }
        let stuck = Self.slowCreate + #"; print((("a"):rep(1e5)):find(".-.-.-.-b"))"#
        let (result, e) = try await execJSON(stuck, ["--sim-url", sim.baseURL, "--timeout", "2"])
        #expect(result.status == 1 && errorKind(e) == "limit" && errorMessage(e).contains("the watchdog ended it"), "\(result.stdout)")
        let create = calls(e).first ?? [:]
        #expect(create["prediction_status"] as? String == "canceled" && create["canceled_at_end"] as? Bool == true, "\(e)")
        #expect(Self.stillGoing(try await Self.predictions(in: sim)).isEmpty)
    }

    @Test("Cancelling an MCP request stops its child, which cancels the prediction it started")
    func cancellingTheRequestCancels() async throws {
        try await onThread {
            let session = try MCPSession(["mcp", "--sim"])
            defer { session.close() }
            _ = try session.initialize()
            try session.send(["jsonrpc": "2.0", "id": 99, "method": "tools/call",
                              "params": ["name": "execute_lua", "arguments": ["code": #"return replicate.run("sim/slow", {seconds = 60})"#]]])
            // Long enough for the create to have answered (the run's sync wait is capped below its limit, not here).
            sleep(3)
            try session.send(["jsonrpc": "2.0", "method": "notifications/cancelled", "params": ["requestId": 99, "reason": "test"]])
            for _ in 0..<500 where !session.children().isEmpty { usleep(20_000) }
            #expect(session.children().isEmpty, "the cancelled execution's process is still running")
            let list = """
                local out = {}
                for _, p in ipairs(replicate.list_predictions().results) do out[#out + 1] = p.status end
                return out
                """
            let (listed, _) = try session.execute(list)
            let statuses = listed["result"] as? [String] ?? []
            #expect(statuses == ["canceled"], "\(listed)")
        }
    }

    @Test("The MCP server passes --keep-running to each execution: a run ended by its limit is left running and listed")
    func keepRunningUnderMCP() async throws {
        try await onThread {
            let session = try MCPSession(["mcp", "--sim", "--keep-running"])
            defer { session.close() }
            _ = try session.initialize()
            let (ended, _) = try session.execute(#"return replicate.run("sim/slow", {seconds = 60})"#, ["timeout_seconds": 2])
            #expect(errorKind(ended) == "limit", "\(ended)")
            let id = calls(ended).first?["prediction_id"] as? String ?? ""
            let running = ended["running"] as? [[String: Any]] ?? []
            #expect(!id.isEmpty && running.first?["id"] as? String == id, "\(ended)")
            let (later, _) = try session.execute("local p = replicate.get_prediction('\(id)'); replicate.cancel_prediction('\(id)'); return p.status")
            #expect(["starting", "processing"].contains(later["result"] as? String ?? ""), "\(later)")
        }
    }

    @Test("A child the server kills at its hard deadline cannot settle: the server cancels what the child told it of, and names it (a one-shot child, and a session's)",
          arguments: [false, true])
    func theServerSettlesAKilledChild(inSession: Bool) async throws {
        // A child that creates a prediction (through a real exec, left running), tells the
        // server as a real child does, and then hangs until it is killed.
        let directory = try temporaryDirectory()
        let stuck = directory + "/stuck-kosmo-lua"
        try write("""
            #!/bin/sh
            url=""; previous=""
            for argument in "$@"; do [ "$previous" = "--sim-url" ] && url="$argument"; previous="$argument"; done
            id=$(echo 'return replicate.create_model_prediction{model_owner = "sim", model_name = "slow", input = {seconds = 60}}.id' \
              | "$KOSMO_REAL" exec --json --keep-running --sim-url "$url" - | python3 -c 'import json, sys; print(json.load(sys.stdin)["result"])')
            printf '{"created":"%s","kind":"prediction","function":"create_model_prediction"}\n' "$id" >&3
            exec sleep 60

            """, to: stuck)
        chmod(stuck, 0o755)
        let server = URL(fileURLWithPath: Binaries.kosmo).deletingLastPathComponent().appendingPathComponent("kosmo-lua-mcp").path
        try await onThread {
            let session = try MCPSession(["--sim", "--timeout", "3"], executable: server,
                                         environment: ["KOSMO_LUA_EXECUTABLE": stuck, "KOSMO_REAL": Binaries.kosmo])
            defer { session.close() }
            _ = try session.initialize()
            let (killed, _) = try session.execute("return 1", inSession ? ["session": "new"] : [:])
            #expect(errorKind(killed) == "limit" && errorMessage(killed).contains("hard deadline"), "\(killed)")
            if inSession { #expect(errorMessage(killed).contains("session"), "\(killed)") }
            let made = calls(killed).first ?? [:]
            #expect(made["function"] as? String == "create_model_prediction" && (made["prediction_id"] as? String ?? "").isEmpty == false, "\(killed)")
            #expect(made["prediction_status"] as? String == "canceled" && made["canceled_at_end"] as? Bool == true, "\(made)")
            #expect(made["in_flight"] as? Bool == true)
            #expect((killed["running"] as? [Any])?.isEmpty == true && (killed["usage"] as? [String: Any])?["predictions"] as? Int == 1, "\(killed)")
        }
    }

    @Test("Each call carries its model and predict time and the envelope totals them; --max-predict-seconds refuses the create that would pass it")
    func usageAndItsBudget() async throws {
        let code = """
            local a = replicate.run("sim/slow", {seconds = 1})
            local ok, err = pcall(replicate.run, "sim/slow", {seconds = 1})
            return err and err.kind, err and err.message
            """
        let (_, e) = try await execJSON(code, ["--sim", "--max-predict-seconds", "0.5"])
        let values = e["result"] as? [Any] ?? []
        #expect(values.first as? String == "limit", "\(e)")
        let message = values.last as? String ?? ""
        #expect(message.contains("--max-predict-seconds 0.5") && message.contains("ask them"), "\(message)")
        let made = calls(e).filter { $0["decision"] as? String == "allowed" }
        #expect(made.count == 1 && made.first?["model"] as? String == "sim/slow", "\(calls(e))")
        let seconds = made.first?["predict_time"] as? Double ?? 0
        #expect(seconds > 0.5, "\(made)")
        #expect(calls(e).last?["decision"] as? String == "denied" && calls(e).last?["error"] as? String == "limit")
        let usage = e["usage"] as? [String: Any] ?? [:]
        #expect(usage["predictions"] as? Int == 1 && usage["trainings"] as? Int == 0, "\(usage)")
        #expect(abs((usage["predict_time"] as? Double ?? 0) - seconds) < 0.01, "\(usage)")

        // Without the budget both run, and the total is their sum.
        let (_, both) = try await execJSON(code, ["--sim"])
        let times = calls(both).compactMap { $0["predict_time"] as? Double }
        #expect(times.count == 2, "\(calls(both))")
        #expect(abs(((both["usage"] as? [String: Any])?["predict_time"] as? Double ?? 0) - times.reduce(0, +)) < 0.01)

        // 0 forbids any create; the value is range-checked.
        let (_, none) = try await execJSON("return replicate.run('sim/echo', {text = 'x'})", ["--sim", "--max-predict-seconds", "0"])
        #expect(errorKind(none) == "limit", "\(none)")
        for bad in ["-1", "nan", "1e300", "x"] {
            let (result, refused) = try await execJSON("return 1", ["--sim", "--max-predict-seconds", bad])
            #expect(result.status == 2 && errorMessage(refused).contains("'--max-predict-seconds' needs a number of seconds"), "\(bad): \(refused)")
        }
    }

    @Test("[permissions] max_predict_seconds in the config file sets the budget, range-checked")
    func theBudgetFromTheConfigFile() async throws {
        let directory = try temporaryDirectory()
        let config = directory + "/config.toml"
        try write("[permissions]\nmax_predict_seconds = 0\n", to: config)
        let (_, refused) = try await execJSON("return replicate.run('sim/echo', {text = 'x'})", ["--sim"], environment: ["KOSMO_LUA_CONFIG": config])
        #expect(errorKind(refused) == "limit" && errorMessage(refused).contains("--max-predict-seconds 0"), "\(refused)")
        for bad in ["-1", "1e300", "\"ten\""] {
            try write("[permissions]\nmax_predict_seconds = \(bad)\n", to: config)
            let (result, e) = try await execJSON("return 1", ["--sim"], environment: ["KOSMO_LUA_CONFIG": config])
            #expect(result.status == 2 && errorKind(e) == "config" && errorMessage(e).contains("max_predict_seconds"), "\(bad): \(e)")
        }
    }

    @Test("In agent mode refusals tell the agent to ask the person, not which flag to pass")
    func refusalsSpeakToTheAgent() async throws {
        let (_, asked) = try await execJSON("return replicate.run('sim/echo', {text = 'x'})", ["--sim", "--write", "ask"])
        #expect(errorKind(asked) == "permission")
        let message = errorMessage(asked)
        #expect(message.contains("ask them") && !message.contains("to allow it:") && !message.contains("--force"), "\(message)")

        let (_, file) = try await execJSON("return replicate.upload('/etc/hostname')", ["--sim"])
        #expect(errorMessage(file).contains("ask them") && !errorMessage(file).contains("grant its directory with"), "\(errorMessage(file))")

        // A person at the command line still gets the flag.
        let person = try await kosmo(["--sim", "--write", "deny", "-e", "replicate.run('sim/echo', {text = 'x'})"])
        #expect(person.stderr.contains("to allow it: --allow run"), "\(person.stderr)")
    }
}
