import CLuaBridge
import Foundation
import LuaHost

/// Ctrl-C while Lua runs: the handler only sets a flag (async-signal-safe); the count hook
/// raises "interrupted!" at the next check. A second Ctrl-C uses the default action, as in `lua`.
enum Interrupts {
    nonisolated(unsafe) static var target: OpaquePointer?

    static func arm(_ vm: LuaVM) {
        target = vm.state
        // A parent may have left SIGINT blocked (the mask survives exec); Ctrl-C must reach us.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        signal(SIGINT) { _ in
            if let state = Interrupts.target { kl_request_interrupt(state) }
            signal(SIGINT, SIG_DFL)
        }
    }

    static func disarm() {
        signal(SIGINT, SIG_DFL)
    }
}
