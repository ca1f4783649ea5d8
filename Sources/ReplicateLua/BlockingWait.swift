import Foundation
import Replicate

/// Runs async work from a thread that must wait for it (the VM thread before a call is
/// authorized; the end of a run): the work runs as a task while this thread blocks, asking
/// `stop` every 50 ms, and the task is cancelled when it says stop. Never call it from a
/// task's own executor.
func waitBlocking<T: Sendable>(stop: StopCheck = .never, _ work: @escaping @Sendable () async throws -> T) throws -> T {
    let box = BlockingResult<T>()
    let done = DispatchSemaphore(value: 0)
    let task = Task {
        do { box.result = .success(try await work()) } catch { box.result = .failure(error) }
        done.signal()
    }
    while done.wait(timeout: .now() + .milliseconds(50)) == .timedOut {
        if stop.shouldStop() {
            task.cancel()
            throw Stopped()
        }
    }
    guard let result = box.result else { throw Stopped() }
    return try result.get()
}

/// Carries a task's result to the thread that waits for it; the semaphore orders the write
/// before the read.
private final class BlockingResult<T>: @unchecked Sendable {
    var result: Result<T, any Error>?
}
