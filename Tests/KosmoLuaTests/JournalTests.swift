import Foundation
import Testing

/// `kosmo-lua sim` as a separate process for the journal's tests, and what they read from it:
/// how many creates reached it (its request log) and the predictions it holds.
struct JournalSim {
    let sim: SimProcess
    var environment: [String: String] { ["REPLICATE_URL": sim.baseURL, "REPLICATE_API_TOKEN": "r8_test", "KOSMO_LUA_CACHE": "off"] }

    static func start(_ arguments: [String] = []) async throws -> JournalSim {
        JournalSim(sim: try await SimProcess.start(arguments))
    }

    /// Prediction creates in the request log (every POST that makes one, whatever its answer).
    func creates() async throws -> Int {
        let log = try await sim.fetch("/_sim/requests")
        let records = try JSONSerialization.jsonObject(with: Data(log.utf8)) as? [[String: Any]] ?? []
        return records.filter { ($0["method"] as? String) == "POST" && (($0["path"] as? String) ?? "").hasSuffix("/predictions") }.count
    }

    /// The `seconds` input of every prediction the simulator holds, through `list_predictions`.
    func predictionInputs() async throws -> [String] {
        let result = try await kosmo(["-e", #"for p in replicate.paginate("list_predictions") do print(p.input.seconds or p.input.text or "-") end"#],
                                     environment: environment, timeout: 60)
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout.split(separator: "\n").map(String.init)
    }
}

/// The journal (`--journal FILE`): a rerun reattaches instead of creating again, a changed input
/// or another script is refused, and `kosmo-lua journal` reports what it holds.
@Suite(.serialized) struct JournalTests {
    /// Five short runs from one call site, their outputs printed in order.
    static let batch = """
        local items = {}
        for i = 1, 5 do items[i] = i end
        local outs = replicate.map(items, function(i)
          return replicate.run("sim/slow", {seconds = i / 10})
        end, {concurrency = 3})
        print(table.concat(outs, ","))
        """

    @Test("A rerun with the same journal reattaches every create: no new create reaches the service, same results")
    func rerunReattaches() async throws {
        let sim = try await JournalSim.start()
        defer { _ = sim.sim.stop() }
        let directory = try temporaryDirectory()
        try write(Self.batch, to: directory + "/batch.lua")
        let arguments = ["--allow", "run", "--journal", directory + "/batch.journal", directory + "/batch.lua"]
        let first = try await kosmo(arguments, environment: sim.environment, timeout: 60)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout == "slept 0.1s,slept 0.2s,slept 0.3s,slept 0.4s,slept 0.5s\n")
        #expect(try await sim.creates() == 5)

        let second = try await kosmo(arguments, environment: sim.environment, timeout: 60)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout == first.stdout)
        #expect(try await sim.creates() == 5, "the rerun created again")

        // The script run without the journal pays again: the journal is what saved them.
        let unjournaled = try await kosmo(["--allow", "run", directory + "/batch.lua"], environment: sim.environment, timeout: 60)
        #expect(unjournaled.status == 0)
        #expect(try await sim.creates() == 10)
    }

    @Test("--max-predictions counts what a run creates: creates the journal answers from an earlier run do not count")
    func reattachedCreatesAreNotCounted() async throws {
        let sim = try await JournalSim.start()
        defer { _ = sim.sim.stop() }
        let directory = try temporaryDirectory()
        try write(Self.batch, to: directory + "/batch.lua")
        let journal = ["--allow", "run", "--journal", directory + "/batch.journal"]
        let first = try await kosmo(journal + ["--max-predictions", "3", directory + "/batch.lua"], environment: sim.environment, timeout: 60)
        #expect(first.status != 0)
        #expect(first.stderr.contains("at most 3 (--max-predictions 3)"), "\(first.stderr)")
        #expect(try await sim.creates() == 3)

        // Three are answered from the journal; the two left are this run's only creates.
        let second = try await kosmo(journal + ["--max-predictions", "2", directory + "/batch.lua"], environment: sim.environment, timeout: 60)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout == "slept 0.1s,slept 0.2s,slept 0.3s,slept 0.4s,slept 0.5s\n")
        #expect(try await sim.creates() == 5)
    }

    @Test("A changed input at a known position is refused, naming the position and how to start over")
    func changedInputIsRefused() async throws {
        let sim = try await JournalSim.start()
        defer { _ = sim.sim.stop() }
        let directory = try temporaryDirectory()
        try write(#"print(replicate.run("sim/slow", {seconds = tonumber(arg[1])}))"#, to: directory + "/one.lua")
        let journal = directory + "/one.journal"
        let first = try await kosmo(["--allow", "run", "--journal", journal, directory + "/one.lua", "0.1"], environment: sim.environment, timeout: 60)
        #expect(first.status == 0, "\(first.stderr)")
        let changed = try await kosmo(["--allow", "run", "--journal", journal, directory + "/one.lua", "0.2"], environment: sim.environment, timeout: 60)
        #expect(changed.status == 1)
        #expect(changed.stderr.contains("recorded a different create at one.lua:1 #1"), "\(changed.stderr)")
        #expect(changed.stderr.contains("--journal-reset"), "\(changed.stderr)")
        #expect(try await sim.creates() == 1, "a refused create was sent")

        // Starting over sends it, and the journal then answers the new input.
        let reset = try await kosmo(["--allow", "run", "--journal", journal, "--journal-reset", directory + "/one.lua", "0.2"], environment: sim.environment, timeout: 60)
        #expect(reset.status == 0, "\(reset.stderr)")
        #expect(reset.stdout == "slept 0.2s\n")
        let again = try await kosmo(["--allow", "run", "--journal", journal, directory + "/one.lua", "0.2"], environment: sim.environment, timeout: 60)
        #expect(again.status == 0 && again.stdout == "slept 0.2s\n", "\(again.stderr)")
        #expect(try await sim.creates() == 2)
    }

    @Test("A journal written by another script is refused before anything is sent; a moved script keeps it")
    func otherScriptIsRefused() async throws {
        let sim = try await JournalSim.start()
        defer { _ = sim.sim.stop() }
        let directory = try temporaryDirectory()
        try write(#"print(replicate.run("sim/slow", {seconds = 0.1}))"#, to: directory + "/a.lua")
        try write(#"print(replicate.run("sim/slow", {seconds = 0.1})) -- another"#, to: directory + "/b.lua")
        let journal = directory + "/shared.journal"
        let a = try await kosmo(["--allow", "run", "--journal", journal, directory + "/a.lua"], environment: sim.environment, timeout: 60)
        #expect(a.status == 0, "\(a.stderr)")
        let b = try await kosmo(["--allow", "run", "--journal", journal, directory + "/b.lua"], environment: sim.environment, timeout: 60)
        #expect(b.status == 1)
        #expect(b.stderr.contains("is the journal of \(directory)/a.lua"), "\(b.stderr)")
        #expect(try await sim.creates() == 1)

        // The same text elsewhere is the same script.
        try FileManager.default.createDirectory(atPath: directory + "/moved", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: directory + "/a.lua", toPath: directory + "/moved/a.lua")
        let moved = try await kosmo(["--allow", "run", "--journal", journal, directory + "/moved/a.lua"], environment: sim.environment, timeout: 60)
        #expect(moved.status == 0 && moved.stdout == "slept 0.1s\n", "\(moved.stderr)")
        #expect(try await sim.creates() == 1)
    }

    @Test("kosmo-lua journal --json counts the creates by state and names what is still running and what failed")
    func journalCommandCounts() async throws {
        let sim = try await JournalSim.start()
        defer { _ = sim.sim.stop() }
        let directory = try temporaryDirectory()
        let journal = directory + "/mixed.journal"
        try write("""
            replicate.journal("\(journal)")
            for i = 1, 3 do replicate.run("sim/slow", {seconds = i / 10}) end
            local ok = pcall(replicate.run, "sim/fail", {message = "no luck"})
            assert(not ok)
            local left = replicate.create_model_prediction{model_owner = "sim", model_name = "slow", input = {seconds = 60}}
            print(left.id)
            """, to: directory + "/mixed.lua")
        let run = try await kosmo(["--allow", "run,create_model_prediction", "--cancel-on-exit", directory + "/mixed.lua"], environment: sim.environment, timeout: 60)
        #expect(run.status == 0, "\(run.stderr)")
        let runningID = run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)

        let shown = try await kosmo(["journal", journal, "--json"])
        #expect(shown.status == 0, "\(shown.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any])
        #expect(summary["total"] as? Int == 5)
        let counts = try #require(summary["counts"] as? [String: Int])
        #expect(counts["succeeded"] == 3 && counts["failed"] == 1, "\(counts)")
        #expect((counts["starting"] ?? 0) + (counts["processing"] ?? 0) == 1, "\(counts)")
        let running = try #require(summary["running"] as? [[String: Any]])
        #expect(running.map { $0["id"] as? String } == [runningID])
        let failed = try #require(summary["failed"] as? [[String: Any]])
        #expect(failed.count == 1 && failed.first?["error"] as? String == "no luck", "\(failed)")
        #expect((summary["script"] as? [String: Any])?["name"] as? String == directory + "/mixed.lua")

        let text = try await kosmo(["journal", journal])
        #expect(text.status == 0 && text.stdout.contains("still running (1):") && text.stdout.contains(runningID), "\(text.stdout)")
        let missing = try await kosmo(["journal", directory + "/none.journal"])
        #expect(missing.status == 1 && missing.stderr.contains("no journal at"), "\(missing.stderr)")
        let help = try await kosmo(["journal", "--help"])
        #expect(help.status == 0 && help.stdout.contains("--json"))
    }

    @Test("The config file's journal key keeps the journal as --journal does")
    func configFileKey() async throws {
        let sim = try await JournalSim.start()
        defer { _ = sim.sim.stop() }
        let directory = try temporaryDirectory()
        try write("[replicate]\njournal = \"\(directory)/config.journal\"\n", to: directory + "/config.toml")
        var environment = sim.environment
        environment["KOSMO_LUA_CONFIG"] = directory + "/config.toml"
        try write(#"print(replicate.run("sim/slow", {seconds = 0.1}))"#, to: directory + "/c.lua")
        for _ in 0..<2 {
            let run = try await kosmo(["--allow", "run", directory + "/c.lua"], environment: environment, timeout: 60)
            #expect(run.status == 0 && run.stdout == "slept 0.1s\n", "\(run.stderr)")
        }
        #expect(try await sim.creates() == 1)
        let shown = try await kosmo(["journal", directory + "/config.journal"])
        #expect(shown.stdout.contains("succeeded 1"), "\(shown.stdout)")
    }

    @Test("exec keeps a journal for its snippet; mcp refuses one, since each execution is a script of its own")
    func execAndMCP() async throws {
        let sim = try await JournalSim.start()
        defer { _ = sim.sim.stop() }
        let directory = try temporaryDirectory()
        let snippet = #"return replicate.run("sim/slow", {seconds = 0.1})"#
        for _ in 0..<2 {
            let run = try await kosmo(["exec", "--json", "--sim-url", sim.sim.baseURL, "--allow", "run", "--journal", directory + "/exec.journal", "-"],
                                      stdin: snippet, timeout: 60)
            #expect(run.status == 0 && run.stdout.contains("slept 0.1s"), "\(run.stdout)\(run.stderr)")
        }
        #expect(try await sim.creates() == 1)
        let mcp = try await kosmo(["mcp", "--journal", directory + "/mcp.journal"])
        #expect(mcp.status != 0 && mcp.stderr.contains("is not for 'mcp'"), "\(mcp.stderr)")
    }

    @Test("replicate.journal after the script's first create is refused; --journal needs a path")
    func journalFromAScriptComesFirst() async throws {
        let sim = try await JournalSim.start()
        defer { _ = sim.sim.stop() }
        let directory = try temporaryDirectory()
        let late = try await kosmo(["--allow", "run", "-e", """
            replicate.run("sim/slow", {seconds = 0.1})
            replicate.journal("\(directory)/late.journal")
            """], environment: sim.environment, timeout: 60)
        #expect(late.status == 1)
        #expect(late.stderr.contains("call it before the script's first create"), "\(late.stderr)")
        let empty = try await kosmo(["--journal=", "-e", "print(1)"])
        #expect(empty.status == 1 && empty.stderr.contains("--journal needs"), "\(empty.stderr)")
    }
}
