import CLuaBridge
import Foundation
import LuaHost

/// Ctrl-C while Lua runs: the handler only sets a flag (async-signal-safe); the count hook
/// raises "interrupted!" at the next check. A second Ctrl-C uses the default action, as in `lua`.
enum Interrupts {
    nonisolated(unsafe) static var target: OpaquePointer?

    static func arm(_ vm: LuaVM) {
        target = vm.state
        unblock([SIGINT])
        signal(SIGINT) { _ in
            if let state = Interrupts.target { kl_request_interrupt(state) }
            signal(SIGINT, SIG_DFL)
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

    static func disarm() {
        signal(SIGINT, SIG_DFL)
    }
}
