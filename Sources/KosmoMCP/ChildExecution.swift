import AgentMode
import Foundation
import LuaHost
import MCP
import Replicate
import ReplicateLua

/// One execution in a child process, `kosmo-lua exec --json … -`, which the server ends with
/// SIGKILL if it outlives its hard deadline (docs/architecture.md, rule 6: a C function stuck past the
/// deadline can only be stopped by ending its process). `ask` in the child reaches the server
/// through an inherited socket (`--approval-fd 3`).
struct ChildExecution: Sendable {
    /// The `kosmo-lua` executable.
    let executable: String
    /// Arguments after the executable's name (`exec --json …`).
    let arguments: [String]
    /// The Lua code, written to the child's standard input.
    let code: [UInt8]
    /// Seconds after which the child is killed.
    let hardDeadline: Double
    let approvals: ApprovalRelay
    /// Who answers the child's questions for a stateless client's call (the execution pauses
    /// until the call is retried with the answer); nil: the relay asks by elicitation.
    var asker: PausedExecution? = nil
    /// Settles what a child created and could not account for itself.
    let orphans: OrphanSettler
    /// Where the child's progress goes: the client's progress notifications, when its request
    /// carried a progress token.
    var progress: ProgressForwarder? = nil

    /// How the child ended.
    struct Outcome: Sendable {
        let envelope: ExecEnvelope
        /// The envelope's JSON text as it should be returned, at most `maxResultBytes` (about).
        let json: String
        /// The envelope as the SDK's value (the tool result's structured content).
        let structured: Value?

        /// An envelope as it is returned: fitted to `maxResultBytes`, and converted for the SDK
        /// here, on the caller's thread, rather than on a cooperative thread later.
        init(envelope: ExecEnvelope, json: String? = nil) {
            let fitted = envelope.fitted(maxBytes: ChildExecution.maxResultBytes, text: json)
            self.envelope = fitted.envelope
            self.json = fitted.json
            structured = (try? JSONValue(parsing: fitted.json)).map(ValueConversion.mcp)
        }
    }

    /// Most bytes of an envelope returned as a tool result: 4 MiB. A larger one comes back as a
    /// `limit` error without its result (`ExecEnvelope.fitted`).
    static let maxResultBytes = 4 << 20
    /// Most bytes read of a child's output: 16 MiB. An envelope cannot be longer than the
    /// child's limits allow (memory, output), but the server does not rely on that to bound its
    /// own memory; what is past this is read and dropped.
    static let maxChildOutputBytes = 16 << 20

    /// Where an execution's timers run (its hard deadline, the grace after a request to stop);
    /// its blocking waits each have a thread of their own (`BlockingThread`).
    static let timers = DispatchQueue(label: "kosmo-lua.mcp.timers")

    /// Runs the child; cancelling the calling task (the client cancelled the request) ends it.
    func run() async -> Outcome {
        let control = ChildControl()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                BlockingThread.start("kosmo-lua execution") { continuation.resume(returning: runBlocking(control)) }
            }
        } onCancel: {
            control.cancel()
        }
    }

    private func failure(_ kind: ErrorKind, _ message: String, started: Date) -> Outcome {
        let envelope = ExecEnvelope(ok: false, error: ExecEnvelope.Failure(kind: kind, message: message),
                                    stats: ExecEnvelope.Stats(ms: Date().timeIntervalSince(started) * 1000, peakMemoryBytes: 0, instructions: 0))
        return Outcome(envelope: envelope)
    }

    private func runBlocking(_ control: ChildControl) -> Outcome {
        let started = Date()
        let child: SpawnedChild
        switch SpawnedChild.start(executable: executable, arguments: arguments) {
        case .success(let spawned): child = spawned
        case .failure(let problem): return failure(.runtime, problem.message, started: started)
        }
        let reaper = child.reaper
        RunningChildren.shared.add(reaper)
        defer { RunningChildren.shared.remove(reaper) }
        control.attach(reaper)

        let group = DispatchGroup()
        let code = self.code
        let stdinFD = child.stdin
        group.enter()
        BlockingThread.start("kosmo-lua execution input") {
            FileDescriptorIO.writeAll(stdinFD, code)
            close(stdinFD)
            group.leave()
        }
        let collected = Collected()
        let stdoutFD = child.stdout
        group.enter()
        BlockingThread.start("kosmo-lua execution output") {
            (collected.bytes, collected.dropped) = Self.readBounded(stdoutFD, maxBytes: Self.maxChildOutputBytes)
            close(stdoutFD)
            group.leave()
        }
        // A timer cancelled when the child ends: with `asyncAfter` every execution's closure
        // and reaper stayed in memory until its deadline, long after the execution was over.
        let deadline = HardDeadline(seconds: hardDeadline, queue: ChildExecution.timers) { reaper.killIfRunning() }
        let socketFD = child.approvals, approvals = self.approvals, asker = self.asker
        let created = CreatedNotices()
        group.enter()
        BlockingThread.start("kosmo-lua execution approvals") {
            SpawnedChild.serveApprovals(socketFD, relay: approvals, asker: { asker }, created: created,
                                        hold: { deadline.hold() }, release: { deadline.release() })
            group.leave()
        }
        // Progress is read only when the client asked for it. Without a reader the socket is
        // closed, and the child's reporter stops at its first write.
        let progressFD = child.progress
        if let progress = self.progress {
            group.enter()
            BlockingThread.start("kosmo-lua execution progress") {
                SpawnedChild.forwardProgress(progressFD) { progress }
                group.leave()
            }
        } else {
            close(progressFD)
        }

        let status = reaper.wait()
        deadline.cancel()
        group.wait()
        progress?.finish()

        // Whatever ended the child, what it created and did not account for is settled here.
        func settled(_ outcome: Outcome) -> Outcome {
            let envelope = orphans.account(for: created.all, in: outcome.envelope)
            return envelope == outcome.envelope ? outcome : Outcome(envelope: envelope)
        }
        let text = String(decoding: collected.bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let envelope = collected.dropped > 0 ? nil : try? ExecEnvelope(parsing: Data(text.utf8))
        if control.cancelled {
            // Asked to stop, the child settles what it made and still writes its envelope.
            var stopped = failure(.interrupted, "the client cancelled the execution, so the server ended its process", started: started).envelope
            if let envelope { (stopped.calls, stopped.running, stopped.usage) = (envelope.calls, envelope.running, envelope.usage) }
            return settled(Outcome(envelope: stopped))
        }
        if reaper.killed {
            return settled(failure(.limit, "the execution did not finish within its hard deadline (\(Self.seconds(hardDeadline))), so the server ended its process; its output and result were lost with it, and what it had created is in calls", started: started))
        }
        if collected.dropped > 0 {
            return settled(failure(.limit, "the execution's envelope was more than \(Self.maxChildOutputBytes >> 20) MiB (\(collected.bytes.count + collected.dropped) bytes), so the server dropped it with its result, output and calls; return less (a summary, a count, file URLs)", started: started))
        }
        if let envelope {
            return settled(Outcome(envelope: envelope, json: text))
        }
        let how = status & 0x7F == 0 ? "exited with status \((status >> 8) & 0xFF)" : "was ended by signal \(status & 0x7F)"
        return settled(failure(.runtime, "the execution process \(how) without an envelope" + (text.isEmpty ? "" : ": \(text.prefix(500))"), started: started))
    }

    /// Everything until end of file up to `maxBytes`; what follows is read (so the writer is
    /// never blocked) and only counted.
    static func readBounded(_ fd: Int32, maxBytes: Int) -> (bytes: [UInt8], dropped: Int) {
        var data: [UInt8] = []
        var dropped = 0
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n < 0, errno == EINTR { continue }
            if n <= 0 { return (data, dropped) }
            let keep = max(0, min(n, maxBytes - data.count))
            data.append(contentsOf: buffer[0..<keep])
            dropped += n - keep
        }
    }

    /// "30 s", "1.5 s": a deadline as the errors show it (in range: at most a day and a bit).
    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : String(format: "%.1f s", value)
    }
}

/// Bytes read by another thread, handed over through the dispatch group.
private final class Collected: @unchecked Sendable {
    var bytes: [UInt8] = []
    /// Bytes past the most kept.
    var dropped = 0
}

/// Waits for a child and kills it at its deadline, never signalling a pid already reaped
/// (which the system may have given to another process).
final class Reaper: @unchecked Sendable {
    let pid: pid_t
    private let lock = NSLock()
    private var reaped = false
    private(set) var killed = false

    init(pid: pid_t) { self.pid = pid }

    func killIfRunning() {
        lock.lock()
        defer { lock.unlock() }
        guard !reaped else { return }
        killed = true
        kill(pid, SIGKILL)
    }

    /// Seconds a child asked to stop has to settle what it created and write its envelope
    /// before it is killed.
    static let stopGraceSeconds = 10.0

    /// Asks the child to stop (SIGTERM: it ends its run as an interrupt, settles what it
    /// created and writes its envelope), and kills it if it is still running after the grace.
    func stop() {
        lock.lock()
        let running = !reaped
        if running { kill(pid, SIGTERM) }
        lock.unlock()
        guard running else { return }
        ChildExecution.timers.asyncAfter(deadline: .now() + Self.stopGraceSeconds) { [self] in killIfRunning() }
    }

    func wait() -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        lock.lock()
        reaped = true
        lock.unlock()
        return status
    }
}

/// Lets a cancelled request end its child, whether the child has started yet or not.
final class ChildControl: @unchecked Sendable {
    private let lock = NSLock()
    private var reaper: Reaper?
    private var isCancelled = false

    var cancelled: Bool { lock.withLock { isCancelled } }

    func attach(_ reaper: Reaper) {
        let cancelled = lock.withLock { () -> Bool in
            self.reaper = reaper
            return isCancelled
        }
        if cancelled { reaper.stop() }
    }

    func cancel() {
        let reaper = lock.withLock { () -> Reaper? in
            isCancelled = true
            return self.reaper
        }
        reaper?.stop()
    }
}

/// Children still running, killed if the server stops first.
final class RunningChildren: @unchecked Sendable {
    static let shared = RunningChildren()
    private let lock = NSLock()
    private var reapers: [pid_t: Reaper] = [:]

    func add(_ reaper: Reaper) { lock.lock(); reapers[reaper.pid] = reaper; lock.unlock() }
    func remove(_ reaper: Reaper) { lock.lock(); reapers[reaper.pid] = nil; lock.unlock() }

    func killAll() {
        lock.lock()
        let running = Array(reapers.values)
        lock.unlock()
        for reaper in running { reaper.killIfRunning() }
    }
}
