import Foundation
import Testing

/// One pacer for the whole run, through the built binary against `kosmo-lua sim`: every task's
/// requests take their turns from one budget per class, and a 429 holds back every task until
/// the time the server named. The limits here count over a few seconds (`--rate-window`) so
/// that a test that needs more than one window still takes seconds, not minutes.
@Suite("Pacing: one view of the rate limits for every task", .serialized)
struct PacingTests {
    /// One record of the simulator's request log (`GET /_sim/requests`).
    struct Request: Decodable {
        var method: String
        var path: String
        var status: Int
        var time: Double
        var fault: String?
    }

    static func requests(_ sim: SimProcess) async throws -> [Request] {
        try JSONDecoder().decode([Request].self, from: Data(try await sim.fetch("/_sim/requests").utf8))
    }

    static func isCreate(_ r: Request) -> Bool { r.method == "POST" && r.path.hasSuffix("/predictions") }

    /// `runs` runs of `sim/slow` (0.1 s each) at once, with the given pacing flags.
    static func fanOut(_ sim: SimProcess, runs: Int, flags: [String]) async throws -> ProcessResult {
        let script = """
            local items = {}
            for i = 1, \(runs) do items[i] = i end
            local out = replicate.map(items, function(i) return replicate.run("sim/slow", {seconds = 0.1}) end, {concurrency = \(runs)})
            print(#out)
            """
        let environment = ["REPLICATE_URL": sim.baseURL, "REPLICATE_API_TOKEN": "r8_test"]
        return try await kosmo(["--allow", "run", "--quiet"] + flags + ["-e", script], environment: environment, timeout: 60)
    }

    @Test("Runs beyond a window's limit finish with (almost) no 429s when paced, and with many when not")
    func pacedRunsAvoidRefusals() async throws {
        // 6 creates a 3-second window on the server; 18 runs need three windows.
        let sim = try await SimProcess.start(["--creates-per-minute", "6", "--rate-window", "3"])
        defer { _ = sim.stop() }
        let paced = try await Self.fanOut(sim, runs: 18, flags: ["--rate-creates", "6", "--rate-window", "3"])
        #expect(paced.status == 0, "\(paced.stdout)\(paced.stderr)")
        #expect(paced.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "18")
        let pacedLog = try await Self.requests(sim).filter(Self.isCreate)
        let pacedRefused = pacedLog.filter { $0.status == 429 }.count
        #expect(pacedLog.filter { $0.status == 201 }.count == 18)
        #expect(pacedRefused <= 1, "paced: \(pacedRefused) of \(pacedLog.count) creates answered 429")
        // Three windows: not sooner than two of them (the limit is honoured), well within a minute.
        #expect(paced.seconds >= 6, "took \(paced.seconds) s")

        // The same run unpaced against a fresh window: each task finds the limit on its own.
        _ = try await runProcess("/usr/bin/env", ["python3", "-c", "import urllib.request as u; u.urlopen(u.Request(__import__('sys').argv[1], method='DELETE'))", sim.origin + "/_sim/requests"])
        try await Task.sleep(nanoseconds: 3_600_000_000)
        let unpaced = try await Self.fanOut(sim, runs: 18, flags: ["--rate-creates", "0"])
        #expect(unpaced.status == 0, "\(unpaced.stdout)\(unpaced.stderr)")
        let unpacedRefused = try await Self.requests(sim).filter(Self.isCreate).filter { $0.status == 429 }.count
        #expect(unpacedRefused >= 6, "unpaced: \(unpacedRefused) creates answered 429")
    }

    @Test("A 429 holds back every task until its Retry-After, not only the one it answered")
    func aRefusalHoldsEveryTask() async throws {
        // Injected throttles ask to come back in 1 s; the server's own limits are off.
        let sim = try await SimProcess.start(["--faults", "429:0.15", "--seed", "3", "--creates-per-minute", "0", "--requests-per-minute", "0"])
        defer { _ = sim.stop() }
        let tasks = 8
        let script = """
            local items = {}
            for i = 1, \(tasks) do items[i] = i end
            local out = replicate.map(items, function(i)
              for k = 1, 6 do replicate.get_account() end
              return i
            end, {concurrency = \(tasks)})
            print(#out)
            """
        let environment = ["REPLICATE_URL": sim.baseURL, "REPLICATE_API_TOKEN": "r8_test"]
        let result = try await kosmo(["--quiet", "-e", script], environment: environment, timeout: 60)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let log = try await Self.requests(sim).filter { $0.path == "/v1/account" }.sorted { $0.time < $1.time }
        #expect(log.filter { $0.status == 200 }.count == tasks * 6)
        let refusal = try #require(log.first { $0.status == 429 }, "the seed injects throttles")
        // During the hold only what was already on its way arrives: at most one request from
        // each other task (sent before the 429 was seen). Tasks retrying on their own would
        // keep sending through the second.
        let during = log.filter { $0.time > refusal.time && $0.time < refusal.time + 0.9 }
        #expect(during.count <= tasks - 1, "\(during.count) requests arrived during the 1 s hold")
        #expect(log.contains { $0.time >= refusal.time + 0.9 }, "the run went on after the hold")
    }

    @Test("Many runs waiting at once share one poller: list pages, and one fetch per finished prediction")
    func manyWaitsShareOnePoller() async throws {
        let sim = try await SimProcess.start(["--creates-per-minute", "0", "--requests-per-minute", "0"])
        defer { _ = sim.stop() }
        let runs = 40
        // Sync mode gives up after a second; the runs take three, so each is waited for after.
        let script = """
            local items = {}
            for i = 1, \(runs) do items[i] = i end
            local out = replicate.map(items, function(i) return replicate.run("sim/slow", {seconds = 3}, {wait = 1}) end, {concurrency = \(runs)})
            print(#out)
            """
        let environment = ["REPLICATE_URL": sim.baseURL, "REPLICATE_API_TOKEN": "r8_test"]
        let result = try await kosmo(["--allow", "run", "--quiet", "-e", script], environment: environment, timeout: 60)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "\(runs)")
        let log = try await Self.requests(sim)
        let gets = log.filter { $0.method == "GET" && $0.path.hasPrefix("/v1/predictions/") }.count
        let lists = log.filter { $0.method == "GET" && $0.path == "/v1/predictions" }.count
        // Polling each on its own (after 0.5, 1.25 and 2.4 s) is three gets a run; shared, one a
        // run once the list shows it finished, and a few from waits that polled before the rest
        // had begun.
        #expect(lists >= 1, "the waits were answered by listing")
        #expect(gets < runs * 2, "\(gets) get_prediction calls for \(runs) runs")
    }

    @Test("The pacing flags are range-checked")
    func flagsAreChecked() async throws {
        for (flags, expected) in [(["--rate-creates", "-1"], "between 0 and 100000"), (["--rate-requests", "1e9"], "between 0 and 100000"),
                                  (["--rate-creates", "2.5"], "whole number"), (["--rate-window", "0"], "between 1 and 3600"),
                                  (["--rate-window", "nan"], "'--rate-window' needs")] {
            let result = try await kosmo(flags + ["-e", "print(1)"])
            #expect(result.status != 0, "\(flags)")
            #expect(result.stderr.contains(expected), "\(flags): \(result.stderr)")
        }
    }
}
