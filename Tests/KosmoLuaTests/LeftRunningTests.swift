import Foundation
import Testing

/// A script that fails after creating predictions says what it leaves running, and with
/// `--cancel-on-exit` cancels it first; a script that succeeds says nothing.
@Suite("What a failed run leaves running")
struct LeftRunningTests {
    static let create = #"local p = replicate.create_model_prediction{model_owner = "sim", model_name = "slow", input = {seconds = 30}}"#

    @Test("A failed run names the prediction it leaves running; --cancel-on-exit cancels it and says so")
    func namesAndCancels() async throws {
        let left = try await kosmo(["--sim", "--allow", "create_model_prediction", "-e", Self.create + "; error('boom')"])
        #expect(left.status == 1)
        #expect(left.stderr.contains("1 still running: ") && left.stderr.contains("--cancel-on-exit"), "\(left.stderr)")

        let canceled = try await kosmo(["--sim", "--cancel-on-exit", "--allow", "create_model_prediction", "-e", Self.create + "; error('boom')"])
        #expect(canceled.status == 1)
        #expect(canceled.stderr.contains("canceled 1 still running: "), "\(canceled.stderr)")
    }

    @Test("A run that succeeds, or whose predictions finished, reports nothing")
    func quietWhenNothingIsLeft() async throws {
        let done = try await kosmo(["--sim", "--allow", "run", "-e", #"replicate.run("sim/echo", {text = "x"}); error("after")"#])
        #expect(done.status == 1)
        #expect(!done.stderr.contains("still running"), "\(done.stderr)")
        let fine = try await kosmo(["--sim", "--allow", "create_model_prediction", "-e", Self.create])
        #expect(fine.status == 0 && !fine.stderr.contains("still running"))
    }
}
