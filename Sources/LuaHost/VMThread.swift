import Foundation

/// Runs VM work on a thread of its own. A VM waits for async host work by blocking its thread,
/// so it must never run on one of Swift concurrency's cooperative threads (with two cores
/// there are only two, and the work it waits for needs one of them).
public enum VMThread {
    /// Stack for the VM thread: Lua's C recursion limit (200 levels) fits with room to spare.
    public static let stackSize = 16 << 20

    /// Runs `body` on a new dedicated thread and returns its result to the awaiting task.
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
            }
            thread.stackSize = stackSize
            thread.start()
        }
    }
}
