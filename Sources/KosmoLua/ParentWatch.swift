import Foundation

/// A child of the MCP server ends with its server. Without this, a server killed (SIGKILL, a
/// crash) left a busy execution running as an orphan until its own deadline, a core at 100%.
///
/// The child notes its parent at start and looks four times a second: once the parent is gone
/// (the system hands the child to another parent), it sends itself SIGTERM, which ends its run
/// as an interrupt (what it created is canceled, as for any stopped execution); if it is still
/// alive `graceSeconds` later, SIGKILL. Not `PR_SET_PDEATHSIG`: that follows the thread that
/// spawned the child, and the server spawns from threads that end long before its sessions.
enum ParentWatch {
    /// Seconds between the SIGTERM and the SIGKILL: settling what the run created takes at most
    /// `ReplicateSession.settleSeconds` (10 s).
    static let graceSeconds: UInt32 = 15

    static func start() {
        let parent = getppid()
        let watcher = Thread {
            while getppid() == parent { usleep(250_000) }
            kill(getpid(), SIGTERM)
            sleep(graceSeconds)
            kill(getpid(), SIGKILL)
        }
        watcher.name = "kosmo-lua parent watch"
        watcher.start()
    }
}
