import Foundation
import Testing

/// A script's own `replicate.*` reads go out in place (libcurl on the script's thread). Through
/// the built binary against a `kosmo-lua sim` that answers every request 5 s late: the script's
/// time limit and Ctrl-C still end a call that is waiting, promptly and with their own errors.
@Suite(.serialized) struct InPlaceCallTests {
    @Test func aTimeLimitEndsAWaitingCall() async throws {
        let sim = try await SimProcess.start(["--faults", "latency:5000ms"])
        defer { _ = sim.stop() }
        let environment = ["REPLICATE_URL": sim.baseURL, "REPLICATE_API_TOKEN": "r8_test"]
        let result = try await kosmo(["--timeout", "1", "-e", "replicate.get_account()"], environment: environment)
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("time limit exceeded"), "\(result.stderr)")
        // One second, not the simulator's five (loose under load).
        #expect(result.seconds < 4, "took \(result.seconds) s")
    }

    @Test func ctrlCEndsAWaitingCall() async throws {
        let sim = try await SimProcess.start(["--faults", "latency:5000ms"])
        defer { _ = sim.stop() }
        let environment = ["REPLICATE_URL": sim.baseURL, "REPLICATE_API_TOKEN": "r8_test"]
        let outcome = try await onThread { () -> (status: Int32?, seconds: Double)? in
            let process = try LineProcess(Binaries.kosmo, ["-e", "print('ready') io.stdout:flush() replicate.get_account()"], environment: environment)
            guard process.line(timeout: 20) != nil else { return nil }
            usleep(300_000)
            let pressed = Date()
            kill(process.pid, SIGINT)
            let status = process.close(timeout: 10)
            return (status, Date().timeIntervalSince(pressed))
        }
        // An uncaught "interrupted!" error (exit status 1), well before the answer was due.
        #expect(outcome?.status == 1, "\(String(describing: outcome))")
        #expect((outcome?.seconds ?? 99) < 3, "\(String(describing: outcome))")
    }
}
