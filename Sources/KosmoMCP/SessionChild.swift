import AgentMode
import Foundation
import LuaHost
import Replicate
import ReplicateLua

/// One session's child, `kosmo-lua exec --json --serve ID`: one sandboxed process with one Lua
/// state for the session's whole life, so globals persist between `execute_lua` calls. Each
/// call is one `SessionFrame` in and one envelope line out, run one at a time. The child's
/// limits are the server's (the session's cap); each call's own, lowered by its arguments,
/// travel in its frame. A call that outlives its hard deadline is ended by killing the child,
/// which ends the session.
final class SessionChild: @unchecked Sendable {
    let id: String
    private let child: SpawnedChild
    private let output: LineReader
    /// Held for the whole of a call: calls take turns, since the child reads one frame at a time.
    private let turn = NSLock()
    private let lock = NSLock()
    private var deadline: HardDeadline?
    private var progress: ProgressForwarder?
    /// Who answers the running call's questions when a stateless client made it.
    private var asker: PausedExecution?
    private var endReason: String?
    /// Why the server itself ended the session (`end`), which a call still running reports.
    private var endRequested: String?
    private var busy = 0
    private var idleTimer: DispatchSourceTimer?
    private let readers = DispatchGroup()

    /// What the child told the server it created, and who settles it when the child is ended
    /// before it could say so in an envelope (killed at a hard deadline, or by a cancelled request).
    private let created = CreatedNotices()
    private let orphans: OrphanSettler

    private init(id: String, child: SpawnedChild, orphans: OrphanSettler) {
        self.id = id
        self.child = child
        self.orphans = orphans
        output = LineReader(fd: child.stdout)
    }

    /// Starts a session's child; `arguments` are the `exec` arguments before `--serve`.
    static func start(id: String, executable: String, arguments: [String], approvals: ApprovalRelay,
                      orphans: OrphanSettler) -> Result<SessionChild, SpawnFailure> {
        let spawned: SpawnedChild
        switch SpawnedChild.start(executable: executable, arguments: arguments + ["--serve", id]) {
        case .success(let child): spawned = child
        case .failure(let problem): return .failure(problem)
        }
        RunningChildren.shared.add(spawned.reaper)
        let session = SessionChild(id: id, child: spawned, orphans: orphans)
        // Threads of their own (`BlockingThread`) for the session's whole life.
        session.readers.enter()
        BlockingThread.start("kosmo-lua session approvals") { [session] in
            SpawnedChild.serveApprovals(spawned.approvals, relay: approvals, asker: { session.currentAsker() }, created: session.created,
                                        hold: { session.currentDeadline()?.hold() }, release: { session.currentDeadline()?.release() })
            session.readers.leave()
        }
        session.readers.enter()
        BlockingThread.start("kosmo-lua session progress") { [session] in
            SpawnedChild.forwardProgress(spawned.progress) { session.currentProgress() }
            session.readers.leave()
        }
        // Reaped by its own thread, so a child that dies between calls is noticed and never
        // left a zombie.
        BlockingThread.start("kosmo-lua session reaper") { [session] in
            _ = spawned.reaper.wait()
            RunningChildren.shared.remove(spawned.reaper)
            session.markEnded("its process ended")
            // After any call still reading them (calls hold the turn, and check `ended` first).
            session.turn.withLock {
                close(spawned.stdin)
                close(spawned.stdout)
            }
        }
        return .success(session)
    }

    private func currentDeadline() -> HardDeadline? { lock.withLock { deadline } }
    private func currentProgress() -> ProgressForwarder? { lock.withLock { progress } }
    private func currentAsker() -> PausedExecution? { lock.withLock { asker } }

    /// Why the session ended; nil while it is open.
    var ended: String? { lock.withLock { endReason } }
    /// Whether a call is running or waiting to run.
    var isBusy: Bool { lock.withLock { busy > 0 } }

    /// Records why the session ended (the first reason stands).
    func markEnded(_ reason: String) {
        lock.withLock { if endReason == nil { endReason = reason } }
    }

    /// Ends the session: closes the child's input (it finishes and exits) and kills it if it
    /// is still running a call.
    func end(_ reason: String) {
        markEnded(reason)
        lock.withLock {
            if endRequested == nil { endRequested = reason }
            idleTimer?.cancel()
            idleTimer = nil
        }
        shutdown(child.stdin, Int32(SHUT_WR))
        if isBusy { child.reaper.killIfRunning() }
    }

    /// Arms the idle timer: `expire` runs once the session has gone `seconds` without a call.
    func scheduleIdle(after seconds: Double, expire: @escaping @Sendable () -> Void) {
        lock.withLock {
            idleTimer?.cancel()
            let timer = DispatchSource.makeTimerSource(queue: ChildExecution.timers)
            timer.schedule(deadline: .now() + seconds)
            timer.setEventHandler(handler: expire)
            timer.resume()
            idleTimer = timer
        }
    }

    /// Runs one snippet in the session; cancelling the calling task (the client cancelled the
    /// request) kills the child, which ends the session.
    func run(_ code: [UInt8], limits: Limits, hardDeadline: Double, progress: ProgressForwarder?,
             asker: PausedExecution? = nil) async -> ChildExecution.Outcome {
        lock.withLock {
            busy += 1
            idleTimer?.cancel()
            idleTimer = nil
        }
        let reaper = child.reaper
        let cancelled = CancelFlag()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                BlockingThread.start("kosmo-lua session call") { [self] in
                    let outcome = turn.withLock {
                        runBlocking(SessionFrame(code: code, limits: limits), hardDeadline: hardDeadline, progress: progress,
                                    asker: asker, cancelled: cancelled)
                    }
                    lock.withLock { busy -= 1 }
                    continuation.resume(returning: outcome)
                }
            }
        } onCancel: {
            cancelled.set()
            reaper.killIfRunning()
        }
    }

    private func runBlocking(_ frame: SessionFrame, hardDeadline: Double, progress: ProgressForwarder?, asker: PausedExecution?,
                             cancelled: CancelFlag) -> ChildExecution.Outcome {
        let started = Date()
        if let reason = ended { return failure(.usage, Self.endedMessage(id, reason), started: started) }
        let reaper = child.reaper
        let firstNotice = created.count
        let deadline = HardDeadline(seconds: hardDeadline, queue: ChildExecution.timers) { reaper.killIfRunning() }
        lock.withLock {
            self.deadline = deadline
            self.progress = progress
            self.asker = asker
        }
        defer {
            deadline.cancel()
            lock.withLock {
                self.deadline = nil
                self.progress = nil
                self.asker = nil
            }
            progress?.finish()
        }
        let sent = FileDescriptorIO.writeAll(child.stdin, frame.bytes)
        let line = sent ? output.line(maxBytes: ChildExecution.maxChildOutputBytes) : nil
        guard let line else {
            // The child is gone: killed at the deadline, by a cancelled request, by its own
            // watchdog, or it failed. The session ends with it.
            let why: String
            if cancelled.isSet {
                why = "the client cancelled the execution, so the server ended the session's process"
            } else if let requested = lock.withLock({ endRequested }) {
                why = "the session was ended while this call ran (\(requested)), so its process was ended"
            } else if reaper.killed {
                why = "the execution did not finish within its hard deadline (\(ChildExecution.seconds(hardDeadline))), so the server ended the session's process; its output and calls were lost with it"
            } else {
                why = "the session's process ended unexpectedly"
            }
            end(why)
            let ended = failure(cancelled.isSet ? .interrupted : .limit, why + "; the session ended with it (its globals are gone): pass session = \"new\" to open another", started: started)
            // What this call created is settled here, as for a one-shot child the server ended.
            return ChildExecution.Outcome(envelope: orphans.account(for: created.since(firstNotice), in: ended.envelope))
        }
        if line.dropped > 0 {
            return failure(.limit, "the execution's envelope was more than \(ChildExecution.maxChildOutputBytes >> 20) MiB (\(line.bytes.count + line.dropped) bytes), so the server dropped it with its result, output and calls; return less (a summary, a count, file URLs)", started: started)
        }
        guard var envelope = try? ExecEnvelope(parsing: Data(line.bytes)) else {
            end("its process wrote something that is not an envelope")
            return failure(.runtime, "the session's process wrote something that is not an envelope, so the server ended the session: pass session = \"new\" to open another", started: started)
        }
        // The watchdog's envelope is the child's last word: it ends its process after writing it.
        if envelope.error?.kind == .limit, envelope.stats.instructions == 0, childExits(within: 0.5) {
            end("the watchdog ended its process")
            let message = (envelope.error?.message ?? "") + "; the session ended with its process (its globals are gone): pass session = \"new\" to open another"
            envelope.error = ExecEnvelope.Failure(kind: .limit, message: message, traceback: envelope.error?.traceback)
            envelope.ok = false
            return ChildExecution.Outcome(envelope: envelope)
        }
        return ChildExecution.Outcome(envelope: envelope, json: String(decoding: line.bytes, as: UTF8.self))
    }

    /// Whether the child's output reaches its end within `seconds` (the process is ending).
    private func childExits(within seconds: Double) -> Bool {
        var descriptor = pollfd(fd: child.stdout, events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, Int32(seconds * 1000))
        guard ready > 0 else { return false }
        return output.line(maxBytes: 1) == nil
    }

    private func failure(_ kind: ErrorKind, _ message: String, started: Date) -> ChildExecution.Outcome {
        let envelope = ExecEnvelope(ok: false, error: ExecEnvelope.Failure(kind: kind, message: message),
                                    stats: ExecEnvelope.Stats(ms: Date().timeIntervalSince(started) * 1000, peakMemoryBytes: 0, instructions: 0),
                                    session: id)
        return ChildExecution.Outcome(envelope: envelope)
    }

    /// What a call to an ended session is told.
    static func endedMessage(_ id: String, _ reason: String) -> String {
        "the session '\(id)' has ended (\(reason)); its globals are gone: pass session = \"new\" to open another"
    }
}

/// Set when the client cancelled the request a session call serves.
final class CancelFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
