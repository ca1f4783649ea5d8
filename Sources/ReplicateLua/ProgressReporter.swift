/// Shows the calls a run is waiting on (`run`, `wait`, `stream`) while they wait. The command
/// line gives a session its terminal progress line; a session without one shows nothing.
///
/// Called from the VM thread and from Swift's concurrency pool, so an implementation locks.
public protocol ProgressReporter: Sendable {
    /// Starts showing one waiting call labelled `label`; returns its id for `update` and `end`.
    func begin(_ label: String) -> Int
    /// The call's latest status and, when it has them, its logs (a percentage may be read off them).
    func update(_ id: Int, status: String, logs: String?)
    /// Stops showing the call: it finished, failed or was stopped.
    func end(_ id: Int)
    /// Steps aside so other text (an approval prompt, a trace line) starts at column 0.
    func clear()
}
