import Foundation

/// Where the server's long blocking waits run — a child's exit, its output, its input, its
/// questions and progress: each on a thread of its own, started at once.
///
/// Not on a Dispatch queue: on Linux, Dispatch adds a thread to a pool whose threads are all
/// blocked only when its monitor next looks, about once a second. Waits held there made every
/// other request wait too (a ping sent as an execution started was answered after 1.5 s,
/// opening a session took seconds). A thread costs tens of microseconds to start, next to the
/// milliseconds a child takes to start.
enum BlockingThread {
    /// Runs `body` on a new thread named `name`.
    static func start(_ name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread(block: body)
        thread.name = name
        thread.start()
    }
}
