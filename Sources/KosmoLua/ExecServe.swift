import AgentMode
import Foundation
import LuaHost
import ReplicateLua

extension ExecRun {
    /// `exec --json --serve ID`: a session's child. One VM and one `replicate` session for the
    /// whole session, so globals persist and the spend guard counts across snippets; each
    /// snippet read from standard input (`SessionFrame`) runs through `execute`, the one run
    /// path, under its own limits (never above the session's, this process's flags), and gets
    /// one envelope line on standard output. The memory limit is the whole state's, so the
    /// session's memory is capped across its snippets. End of input ends the session.
    func serve(session id: String) -> Int32 {
        let cap = options.limits
        let output = OutputCapture(keep: true, passthrough: false, limit: cap.outputBytes)
        let vm: LuaVM
        do {
            vm = try LuaVM(profile: .sandbox, limits: cap, output: output)
        } catch {
            return fail(ExecEnvelope.Failure(kind: .runtime, message: "cannot start Lua: \(error)"), vm: nil)
        }
        let session: ReplicateSession
        do {
            session = try installSession(settings, in: vm, limits: cap)
        } catch {
            return fail(ExecEnvelope.Failure(kind: .runtime, message: "cannot set up the replicate table: \(error.message)"), vm: vm)
        }
        while true {
            let frame: SessionFrame
            do {
                guard let read = try SessionFrame.read(from: 0, session: cap) else { break }
                frame = read
            } catch {
                // The server and this child disagree about the protocol: end the session.
                ExecCommand.emit(ExecEnvelope(ok: false, error: ExecEnvelope.Failure(kind: .usage, message: error.message), session: id))
                vm.close()
                return 2
            }
            vm.limits = frame.limits
            output.reset(limit: frame.limits.outputBytes)
            // Each snippet is a run of its own: its calls, what it creates, how it ends (what an
            // earlier snippet left running on purpose is not this one's to cancel).
            session.beginRun()
            armWatchdog(vm, limits: frame.limits)
            settleWhenTheWatchdogFires(session, limits: frame.limits)
            let snippet = execute(frame.code, chunkName: "=session", arguments: [], limits: frame.limits, vm: vm, session: session)
            session.beginEnding()
            var envelope = self.envelope(snippet, vm: vm, session: session, output: output)
            envelope.session = id
            ExecCommand.emit(envelope)
        }
        vm.close()
        return 0
    }
}
