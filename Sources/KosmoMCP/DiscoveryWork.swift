import Dispatch
import Foundation
import MCP

/// Where the discovery tools (`search_functions`, `describe_function`) run: a serial queue of
/// their own, with a deadline.
///
/// The SDK answers every request in a task on Swift's cooperative threads, as many as there
/// are cores. Discovery done there in place took those threads from everything else: three slow
/// searches stalled `ping` and every `execute_lua`. Here a discovery call only waits (which
/// frees its thread) while its work runs on this queue; at most one runs at a time, so a flood
/// of them holds one thread, and one that takes too long is answered with an error.
enum DiscoveryWork {
    static let queue = DispatchQueue(label: "kosmo-lua.mcp.discovery")
    /// Seconds a discovery call may take, waiting for the queue included.
    static let deadlineSeconds = 5.0

    /// `work`'s result, or an error result naming `tool` if it is not done within the deadline.
    static func run(_ tool: String, _ work: @escaping @Sendable () -> CallTool.Result) async -> CallTool.Result {
        await withCheckedContinuation { continuation in
            let once = ResumeOnce(continuation)
            once.timer.schedule(deadline: .now() + deadlineSeconds)
            once.timer.setEventHandler {
                once.resume(Tools.text("\(tool) did not finish within \(Int(deadlineSeconds)) s, so it was abandoned; try a shorter query or again later", error: true))
            }
            once.timer.resume()
            queue.async { once.resume(work()) }
        }
    }
}

/// A continuation resumed by whichever comes first, the work or its deadline's timer (which
/// the first resume cancels, so a finished call leaves nothing waiting for the deadline).
private final class ResumeOnce: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<CallTool.Result, Never>?
    let timer = DispatchSource.makeTimerSource(queue: ChildExecution.timers)

    init(_ continuation: CheckedContinuation<CallTool.Result, Never>) { self.continuation = continuation }

    func resume(_ result: CallTool.Result) {
        let waiting = lock.withLock { () -> CheckedContinuation<CallTool.Result, Never>? in
            defer { continuation = nil }
            return continuation
        }
        timer.cancel()
        waiting?.resume(returning: result)
    }
}
