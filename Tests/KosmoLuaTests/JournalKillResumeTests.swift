import Foundation
import Testing

/// A batch with `--journal`, killed with SIGKILL at random moments and run again until it
/// finishes, pays for each prediction once: the simulator's request log shows exactly one
/// create per item, and the final results equal those of a run never interrupted. Also when
/// the kill falls between a create being sent and its answer (the simulator's `cut` fault).
///
/// `make test` runs a small batch on a faster simulator (each run 1–3 s scaled down); `make
/// stress` the full size: KOSMO_JOURNAL_ITEMS (200), KOSMO_JOURNAL_KILLS (10),
/// KOSMO_JOURNAL_SPEED (1). KOSMO_JOURNAL_SEED replays the kill moments a failure printed.
@Suite(.serialized) struct JournalKillResumeTests {
    static func setting(_ name: String, _ fallback: Double) -> Double {
        ProcessInfo.processInfo.environment[name].flatMap(Double.init).flatMap { $0.isFinite ? $0 : nil } ?? fallback
    }
    static var items: Int { Int(min(max(setting("KOSMO_JOURNAL_ITEMS", 40), 1), 200)) }
    static var kills: Int { Int(min(max(setting("KOSMO_JOURNAL_KILLS", 4), 0), 100)) }
    static var speed: Double { min(max(setting("KOSMO_JOURNAL_SPEED", 4), 0.5), 100) }

    /// N runs of `sim/slow`, 1 to 3 s each (at speed 1), each input distinct; prints the outputs.
    static let batch = """
        local n = tonumber(arg[1])
        local items = {}
        for i = 1, n do items[i] = 1 + math.floor((i - 1) * 200 / n) / 100 end
        local outs = replicate.map(items, function(seconds)
          return replicate.run("sim/slow", {seconds = seconds})
        end, {concurrency = 20})
        print(table.concat(outs, "\\n"))
        """

    /// A small seeded generator, so the kill moments of a failed run can be replayed.
    struct Moments {
        var state: UInt64
        mutating func next(in range: ClosedRange<Double>) -> Double {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            return range.lowerBound + Double(z >> 11) / Double(1 << 53) * (range.upperBound - range.lowerBound)
        }
    }

    /// Starts the batch and SIGKILLs it after `seconds` (or lets it end); true when it was killed.
    static func runAndKill(_ arguments: [String], after seconds: Double, environment: [String: String]) async throws -> Bool {
        try await onThread {
            let process = try LineProcess(Binaries.kosmo, arguments, environment: environment)
            let deadline = Date().addingTimeInterval(seconds)
            var status: Int32 = 0
            while Date() < deadline {
                if waitpid(process.pid, &status, WNOHANG) == process.pid { return false }
                usleep(10_000)
            }
            kill(process.pid, SIGKILL)
            process.close(timeout: 10)
            return true
        }
    }

    @Test("Killed with SIGKILL at random moments, then run to completion: one create per item, results as if never interrupted")
    func killAndResume() async throws {
        let n = Self.items, speed = Self.speed
        let seed = ProcessInfo.processInfo.environment["KOSMO_JOURNAL_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 1...UInt64.max)
        var moments = Moments(state: seed)
        let directory = try temporaryDirectory()
        try write(Self.batch, to: directory + "/batch.lua")
        let simArguments = ["--speed", String(speed)]

        // The reference: the batch never interrupted, on a simulator of its own.
        let reference = try await JournalSim.start(simArguments)
        let uninterrupted = try await kosmo(["--allow", "run", directory + "/batch.lua", String(n)], environment: reference.environment, timeout: 600)
        _ = reference.sim.stop()
        #expect(uninterrupted.status == 0, "\(uninterrupted.stderr)")
        #expect(uninterrupted.stdout.split(separator: "\n").count == n)

        let sim = try await JournalSim.start(simArguments)
        defer { _ = sim.sim.stop() }
        let arguments = ["--allow", "run", "--journal", directory + "/batch.journal", directory + "/batch.lua", String(n)]
        // A whole run takes about n / 20 rounds of 2 s (scaled by the speed); each kill falls
        // in a window of about that over the number of kills, so most runs are still going
        // when killed and the batch is spread over all of them.
        let span = max(0.4, Double(n) / 20 * 2 / speed)
        let window = max(0.3, 1.5 * span / Double(max(1, Self.kills)))
        var killed = 0
        var at: [String] = []
        for _ in 0..<Self.kills {
            let moment = moments.next(in: 0.2...(0.2 + window))
            at.append(String(format: "%.2f", moment))
            if try await Self.runAndKill(arguments, after: moment, environment: sim.environment) { killed += 1 }
        }
        let final = try await kosmo(arguments, environment: sim.environment, timeout: 600)
        #expect(final.status == 0, "seed \(seed), kills at \(at): \(final.stderr)")
        #expect(final.stdout == uninterrupted.stdout, "seed \(seed), kills at \(at)")
        let creates = try await sim.creates()
        let inputs = try await sim.predictionInputs()
        #expect(creates == n, "seed \(seed), kills at \(at): \(creates) creates for \(n) items")
        #expect(inputs.count == n && Set(inputs).count == n, "seed \(seed): \(inputs.count) predictions, \(Set(inputs).count) distinct inputs")
        #expect(killed >= Self.kills / 2, "only \(killed) of \(Self.kills) runs were still going when killed (kills at \(at))")
        print("kill-and-resume: \(n) items, \(killed) of \(Self.kills) runs killed at \(at) s (seed \(seed)), \(creates) creates")
    }

    @Test("Killed while every create's answer is held back (created, answer then cut): the rerun finds them instead of creating again")
    func killBetweenSendAndAnswer() async throws {
        let n = 6
        let sim = try await JournalSim.start(["--speed", "4", "--faults", "cut:1,cut-delay:30s"])
        defer { _ = sim.sim.stop() }
        let directory = try temporaryDirectory()
        try write(Self.batch, to: directory + "/batch.lua")
        let journal = directory + "/batch.journal"
        let arguments = ["--allow", "run", "--journal", journal, directory + "/batch.lua", String(n)]

        // Killed once the simulator holds all n predictions, whose answers it is holding back.
        let killed = try await onThread { () -> Bool in
            let process = try LineProcess(Binaries.kosmo, arguments, environment: sim.environment)
            defer { kill(process.pid, SIGKILL); process.close(timeout: 10) }
            for _ in 0..<400 {
                let listed = (try? runProcessBlocking(Binaries.kosmo, ["-e", #"print(#replicate.list_predictions().results)"#],
                                                      environment: sim.environment, timeout: 20).stdout) ?? ""
                if Int(listed.trimmingCharacters(in: .whitespacesAndNewlines)) == n { return true }
                usleep(50_000)
            }
            return false
        }
        #expect(killed, "the simulator never held \(n) predictions")
        let shown = try await kosmo(["journal", journal, "--json"])
        let summary = try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any]
        #expect((summary?["unanswered"] as? [Any])?.count == n, "\(shown.stdout)")

        let final = try await kosmo(arguments, environment: sim.environment, timeout: 120)
        #expect(final.status == 0, "\(final.stderr)")
        #expect(final.stdout.split(separator: "\n").count == n, "\(final.stdout)")
        #expect(try await sim.creates() == n, "an unanswered create was sent again")
        #expect(Set(try await sim.predictionInputs()).count == n)
    }

    @Test("A create whose answer is cut while the run goes on is looked up at once: the run finishes, nothing is created twice")
    func cutAnswerWithoutAKill() async throws {
        let n = 10
        let sim = try await JournalSim.start(["--speed", "4", "--faults", "cut:0.3,cut-delay:200ms", "--seed", "7"])
        defer { _ = sim.sim.stop() }
        let directory = try temporaryDirectory()
        try write(Self.batch, to: directory + "/batch.lua")
        let run = try await kosmo(["--allow", "run", "--journal", directory + "/batch.journal", directory + "/batch.lua", String(n)],
                                  environment: sim.environment, timeout: 120)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.split(separator: "\n").count == n)
        #expect(try await sim.creates() == n)
        let log = try await sim.sim.fetch("/_sim/requests")
        #expect(log.contains("\"cut\""), "no create was cut: the test proves nothing")
    }
}
