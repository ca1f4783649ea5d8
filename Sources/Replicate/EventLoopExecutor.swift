import AsyncHTTPClient
import NIOCore

/// Runs Swift tasks on one of AsyncHTTPClient's event loops.
///
/// A request made from a task on that loop is sent and answered on it (AsyncHTTPClient prefers
/// the caller's loop for the connection, and the response resumes the task there), so a call
/// costs two thread wake-ups — the caller's thread to the loop and back — instead of four
/// (caller → Swift's pool → loop → pool → caller). Work run here must not block: it holds up
/// every connection on the loop.
public final class EventLoopExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked: `loop` is immutable and EventLoop is thread-safe to enqueue on.
    let loop: any EventLoop

    /// An executor for `loop`.
    public init(loop: any EventLoop) {
        self.loop = loop
    }

    /// One loop of the group every client's connection pool uses, picked once per process so all
    /// of a script's connections live on it.
    public static let shared = EventLoopExecutor(loop: HTTPClient.defaultEventLoopGroup.next())

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
