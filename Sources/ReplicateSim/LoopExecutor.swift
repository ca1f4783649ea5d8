import NIOCore

/// Runs the server's tasks on the event loop that owns its sockets, so a request is read,
/// answered and written on one thread with no hand-off to Swift's pool and back.
///
/// The simulator's own, not the client's (`Replicate.EventLoopExecutor`): the simulator must
/// not depend on the client it is a model of, and SwiftNIO (2.101) gives an `EventLoop` a
/// `SerialExecutor` for actors but no `TaskExecutor` for `Task(executorPreference:)`.
final class LoopExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked: `loop` is immutable and an EventLoop is safe to enqueue on from any thread.
    let loop: any EventLoop

    init(loop: any EventLoop) {
        self.loop = loop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
