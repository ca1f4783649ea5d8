import Foundation
import Testing

/// The sandbox adversarial suite: every case of `AdversarialCases.all` through the built
/// binary, as a user runs it: `kosmo-lua --sandbox --timeout 2 --memory 32 [flags] -e CODE`.
/// Each must end the way its case says, with the process exiting by itself (no signal, no crash
/// report) within the timeout plus one second.
@Suite("Sandbox: adversarial scripts through the binary")
struct AdversarialTests {
    @Test("The list is large enough and its names are unique")
    func listShape() {
        #expect(AdversarialCases.all.count >= 30)
        #expect(Set(AdversarialCases.all.map(\.name)).count == AdversarialCases.all.count)
        for c in AdversarialCases.all where c.outcome == .luaError || c.outcome == .completes {
            #expect(!c.why.isEmpty, "\(c.name): say why a \(c.outcome) is the right answer")
        }
    }

    @Test("Each adversarial script ends as expected and the host survives", arguments: AdversarialCases.all.map(\.name))
    func adversarial(_ name: String) async throws {
        let c = try #require(AdversarialCases.all.first { $0.name == name })
        let arguments = ["--sandbox", "--timeout", String(AdversarialCases.timeoutSeconds), "--memory", String(AdversarialCases.memoryMB)]
            + c.flags + ["-e", c.code]
        // The runner kills the child after 30 s: a case that needs that has hung.
        let result = try await kosmo(arguments, timeout: 30)

        // Alive: it exited on its own, with a status, not a signal; no runtime crash report.
        #expect(result.status < 128, "\(name): ended by signal \(result.status - 128)")
        for crash in ["Fatal error", "Segmentation fault", "Illegal instruction", "Stack dump", "Aborted"] {
            #expect(!result.stderr.contains(crash), "\(name): \(result.stderr)")
        }
        // The timeout plus one second, plus half a second for starting a debug binary while the
        // rest of the suite loads both cores (as SandboxCommandLineTests allows).
        #expect(result.seconds < Double(AdversarialCases.timeoutSeconds) + 1.5, "\(name) took \(result.seconds) s")

        switch c.outcome {
        case .completes:
            #expect(result.status == 0, "\(name): \(result.stderr)")
            #expect(result.stdout == c.expect, "\(name)")
        case .limit, .permission, .luaError:
            #expect(result.status == 1, "\(name): exit \(result.status), stderr: \(result.stderr)")
            #expect(result.stderr.hasPrefix("kosmo-lua: "), "\(name): \(result.stderr)")
            #expect(result.stderr.contains(c.expect), "\(name): \(result.stderr)")
            if c.outcome == .limit {
                #expect(result.stderr.contains("limit"), "\(name): \(result.stderr)")
            }
        }
    }
}
