import CLua
import CLuaBridge
import Foundation

/// Completions of async host work, posted from any thread, taken by the VM thread.
final class CompletionQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [(job: Int, result: Result<[LuaValue], any Error>)] = []

    func post(_ job: Int, _ result: Result<[LuaValue], any Error>) {
        condition.lock()
        items.append((job, result))
        condition.signal()
        condition.unlock()
    }

    /// Waits until something is posted or `seconds` pass; returns what was posted.
    func take(waitingAtMost seconds: Double) -> [(job: Int, result: Result<[LuaValue], any Error>)] {
        condition.lock()
        defer { condition.unlock() }
        if items.isEmpty, seconds > 0 { _ = condition.wait(until: Date(timeIntervalSinceNow: seconds)) }
        let taken = items
        items.removeAll()
        return taken
    }
}

/// The per-VM scheduler (the design OpenResty uses): tasks are coroutines; an async host call
/// from a task yields it, and the task is resumed with `(ok, values...)` when the work is done.
final class Scheduler {
    struct TaskState {
        let thread: OpaquePointer
        let index: Int
        var waitingJob: Int?
        var resumeWith: Result<[LuaValue], any Error>?
        var started = false
        var initialArguments: Int32 = 0
    }

    var nextJob = 1
    var nextTask = 1
    var swiftTasks: [Int: Task<Void, Never>] = [:]
    var jobOwner: [Int: Int] = [:]
    var taskIDs: [OpaquePointer: Int] = [:]
    var tasks: [Int: TaskState] = [:]
    /// Results that arrived for jobs nobody is waiting on yet (their task is resumed later).
    var arrived: [Int: Result<[LuaValue], any Error>] = [:]
    let completions = CompletionQueue()

    func cancelAll() {
        for task in swiftTasks.values { task.cancel() }
        swiftTasks.removeAll()
    }
}

/// What `runTasks` reports about tasks that raised errors.
public struct TaskFailure: Sendable {
    /// 1-based index of the task.
    public let index: Int
    public let message: String
    public let traceback: String?
}

extension LuaVM {
    /// Starts a host call's work on thread `L`: yields when `L` is a scheduler task; otherwise
    /// (a user's own coroutine or the main chunk) waits, in place when the work can be done that
    /// way, else for a task on the work's executor.
    func startWork(_ L: OpaquePointer, _ work: HostWork) -> Int32 {
        let taskID = scheduler.taskIDs[L]
        let yields = taskID != nil && kl_yieldable(L) != 0
        if !yields, let inPlace = work.inPlace {
            do {
                if let values = try inPlace(inPlaceStopCheck) {
                    _ = lua_checkstack(L, Int32(values.count) + 2)
                    for value in values { push(value, on: L) }
                    return Int32(values.count)
                }
            } catch {
                if let stop = stopReason() { return raise(stop, on: L) }
                pushError(error, on: L)
                return KL_HOST_ERROR
            }
        }
        let job = scheduler.nextJob
        scheduler.nextJob += 1
        let queue = scheduler.completions
        let run = work.run
        let body: @Sendable () async -> Void = {
            let result: Result<[LuaValue], any Error>
            do { result = .success(try await run()) } catch { result = .failure(error) }
            queue.post(job, result)
        }
        if #available(macOS 15, *) {
            scheduler.swiftTasks[job] = Task.detached(executorPreference: work.executor, operation: body)
        } else {
            scheduler.swiftTasks[job] = Task.detached(operation: body)
        }
        if let taskID, yields {
            scheduler.tasks[taskID]?.waitingJob = job
            scheduler.jobOwner[job] = taskID
            return KL_HOST_YIELD
        }
        while true {
            if let result = scheduler.arrived.removeValue(forKey: job) {
                scheduler.swiftTasks[job] = nil
                switch result {
                case .success(let values):
                    _ = lua_checkstack(L, Int32(values.count) + 2)
                    for value in values { push(value, on: L) }
                    return Int32(values.count)
                case .failure(let error):
                    pushError(error, on: L)
                    return KL_HOST_ERROR
                }
            }
            if let stop = stopReason() {
                scheduler.swiftTasks.removeValue(forKey: job)?.cancel()
                return raise(stop, on: L)
            }
            collectCompletions()
        }
    }

    private func raise(_ message: String, on L: OpaquePointer) -> Int32 {
        lua_pushstring(L, message)
        return KL_HOST_ERROR
    }

    /// Moves posted completions into `arrived` / ready tasks, waiting briefly when none came.
    private func collectCompletions() {
        var wait = 0.1
        if let deadline = deadlineNanos {
            let now = kl_now_ns()
            wait = deadline > now ? min(wait, Double(deadline - now) / 1e9) : 0
        }
        for (job, result) in scheduler.completions.take(waitingAtMost: wait) {
            scheduler.swiftTasks[job] = nil
            if let taskID = scheduler.jobOwner.removeValue(forKey: job) {
                scheduler.tasks[taskID]?.waitingJob = nil
                scheduler.tasks[taskID]?.resumeWith = result
            } else {
                scheduler.arrived[job] = result
            }
        }
    }

    /// A reason to stop waiting: the deadline passed or Ctrl-C. Marks the limit as hit (sticky).
    private func stopReason() -> String? {
        guard let due = dueStop() else { return nil }
        kl_getstate(state).pointee.limit_hit = Int32(due.limit.rawValue)
        return due.message
    }

    /// The stop that is due — Ctrl-C, the deadline passed, a time or instruction limit already
    /// hit — and its message, without marking it. A memory error is not one: a script may catch
    /// it and go on.
    func dueStop() -> (limit: kl_limit, message: String)? {
        let s = kl_getstate(state)
        if s.pointee.interrupt != 0 { return (KL_LIMIT_INTERRUPT, "interrupted!") }
        if let deadline = deadlineNanos, kl_now_ns() >= deadline { return (KL_LIMIT_DEADLINE, "time limit exceeded") }
        switch s.pointee.limit_hit {
        case Int32(KL_LIMIT_DEADLINE.rawValue): return (KL_LIMIT_DEADLINE, "time limit exceeded")
        case Int32(KL_LIMIT_INSTRUCTIONS.rawValue): return (KL_LIMIT_INSTRUCTIONS, "instruction limit exceeded")
        default: return nil
        }
    }

    /// Runs `count` Lua functions as scheduler tasks, at most `concurrency` at a time, from a host
    /// function running on thread `L`. `prepare(thread, i)` pushes task `i`'s function and
    /// arguments onto `thread` and returns the argument count.
    ///
    /// Leaves two tables on `L`: `results` (first value returned by each task, by index) and
    /// `errors` (the error value of each failed task). Throws when a limit or Ctrl-C ends the run.
    public func runTasks(count: Int, concurrency: Int, from L: OpaquePointer,
                         prepare: (OpaquePointer, Int) throws -> Int32) throws -> [TaskFailure] {
        lua_createtable(L, Int32(clamping: count), 0)
        let results = lua_gettop(L)
        lua_createtable(L, 0, 0)
        let errors = lua_gettop(L)
        var failures: [TaskFailure] = []
        var nextIndex = 1
        var active: [Int] = []
        let limit = max(1, concurrency)
        lua_getfield_raw(L, kl_registryindex(), "kosmo.tasks")
        if lua_type(L, -1) != LUA_TTABLE {
            kl_pop(L, 1)
            lua_createtable(L, 0, 0)
            lua_pushvalue(L, -1)
            lua_setfield_raw(L, kl_registryindex(), "kosmo.tasks")
        }
        let anchors = lua_gettop(L)
        defer {
            for id in active { finishTask(id, anchors: anchors, L: L) }
            lua_settop(L, errors)
        }

        while nextIndex <= count || !active.isEmpty {
            while active.count < limit, nextIndex <= count {
                let thread: OpaquePointer = lua_newthread(L)
                let id = scheduler.nextTask
                scheduler.nextTask += 1
                lua_rawseti(L, anchors, lua_Integer(id))
                let nargs = try prepare(thread, nextIndex)
                var state = Scheduler.TaskState(thread: thread, index: nextIndex)
                state.resumeWith = .success([])
                state.initialArguments = nargs
                scheduler.tasks[id] = state
                scheduler.taskIDs[thread] = id
                active.append(id)
                nextIndex += 1
            }
            var progressed = false
            for id in active {
                guard let task = scheduler.tasks[id], let resumeWith = task.resumeWith else { continue }
                progressed = true
                scheduler.tasks[id]?.resumeWith = nil
                let co = task.thread
                var nargs: Int32
                if !task.started {
                    scheduler.tasks[id]?.started = true
                    nargs = task.initialArguments
                } else {
                    _ = lua_checkstack(co, 4)
                    switch resumeWith {
                    case .success(let values):
                        _ = lua_checkstack(co, Int32(values.count) + 2)
                        lua_pushboolean(co, 1)
                        for value in values { push(value, on: co) }
                        nargs = Int32(values.count) + 1
                    case .failure(let error):
                        lua_pushboolean(co, 0)
                        pushError(error, on: co)
                        nargs = 2
                    }
                }
                var nres: Int32 = 0
                let status = kl_resume(co, L, nargs, &nres)
                if status == LUA_YIELD {
                    if scheduler.tasks[id]?.waitingJob == nil {
                        // A plain coroutine.yield() at a task's top level: give others a turn.
                        lua_settop(co, 0)
                        scheduler.tasks[id]?.resumeWith = .success([])
                    }
                    continue
                }
                let index = task.index
                if status == LUA_OK {
                    if nres > 0 {
                        lua_settop(co, 1)
                        lua_xmove(co, L, 1)
                        lua_rawseti(L, results, lua_Integer(index))
                    }
                } else {
                    lua_xmove(co, L, 1)
                    let message = describeValue(on: L, at: -1)
                    var traceback: String?
                    if kl_traceback(L, co, 0) == 1 { traceback = stringValue(on: L, at: -1) }
                    kl_pop(L, 1)
                    lua_rawseti(L, errors, lua_Integer(index))
                    failures.append(TaskFailure(index: index, message: message, traceback: traceback))
                }
                finishTask(id, anchors: anchors, L: L)
                active.removeAll { $0 == id }
            }
            if let stop = stopReason() {
                for id in active { if let job = scheduler.tasks[id]?.waitingJob { scheduler.swiftTasks.removeValue(forKey: job)?.cancel() } }
                throw LuaRaise(stop)
            }
            if !progressed { collectCompletions() }
        }
        return failures
    }

    private func finishTask(_ id: Int, anchors: Int32, L: OpaquePointer) {
        if let task = scheduler.tasks.removeValue(forKey: id) {
            scheduler.taskIDs[task.thread] = nil
            if let job = task.waitingJob {
                scheduler.jobOwner[job] = nil
                scheduler.swiftTasks.removeValue(forKey: job)?.cancel()
            }
        }
        lua_pushnil(L)
        lua_rawseti(L, anchors, lua_Integer(id))
    }
}
