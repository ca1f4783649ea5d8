import CLuaBridge
import Foundation
import LuaHost

/// Ctrl-C (and, for `exec`, a request to stop) while Lua runs: the handler only sets a flag; the
/// count hook raises "interrupted!" at the next check. A second one uses the default action, as
/// in `lua`.
enum Interrupts {
    nonisolated(unsafe) static var target: OpaquePointer?

    /// Makes `signals` interrupt `vm` at its next check, each once: the handler only sets a
    /// flag (async-signal-safe) and puts back the default action, so a second one ends the
    /// process. Ctrl-C everywhere; `exec` adds SIGTERM, which the MCP server sends when its
    /// client cancels a request or a child outlives its deadline, so the run still settles
    /// what it created and writes its envelope.
    static func arm(_ vm: LuaVM, on signals: [Int32] = [SIGINT]) {
        target = vm.state
        unblock(signals)
        for number in signals {
            signal(number) { received in
                if let state = Interrupts.target { kl_request_interrupt(state) }
                signal(received, SIG_DFL)
            }
        }
    }

    /// A parent may have left signals blocked (the mask survives exec): Ctrl-C, a hang-up or
    /// a request to stop must still reach us.
    static func unblock(_ signals: [Int32]) {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in signals { sigaddset(&set, signal) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
    }

    /// `exec`, once the run is over: a request to stop no longer interrupts (the state is about
    /// to close) and does not cut short the settling of what the run created; a server that
    /// cannot wait ends the process with SIGKILL.
    static func holdTermination() {
        signal(SIGTERM, SIG_IGN)
    }

    /// Puts back the default action of every signal `arm` takes.
    static func disarm() {
        for number in [SIGINT, SIGTERM, SIGHUP] { signal(number, SIG_DFL) }
    }
}
