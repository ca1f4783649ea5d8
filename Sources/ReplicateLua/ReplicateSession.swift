import Foundation
import LuaHost
import Replicate

/// The state one host shares with every `replicate.*` call of a run: settings, the client,
/// the approver, the call log, the spend guard and the progress reporter.
///
/// Calls arrive on the VM thread (authorization, which may prompt) and finish on Swift's
/// concurrency pool (logging), so mutable state is behind a lock.
public final class ReplicateSession: @unchecked Sendable {
    public let settings: ReplicateSettings
    /// The client, made on first use: it starts network threads, which a script that never
    /// calls the API should not pay for at start-up.
    public var client: ReplicateClient {
        lock.lock()
        defer { lock.unlock() }
        if let made = madeClient { return made }
        let made = ReplicateClient(configuration: settings.clientConfiguration)
        madeClient = made
        return made
    }
    private var madeClient: ReplicateClient?
    public let callLog: CallLog
    /// Whether the sandbox's file grants apply to `upload` and `download`.
    public let sandboxed: Bool
    let approver: any Approver
    let progress: (any ProgressReporter)?
    let gate: RequestGate?
    let streams = OpenStreams()

    private let lock = NSLock()
    private var approvedFunctions: Set<String> = []
    private var allWritesApproved = false
    private var creates = 0

    /// - Parameters:
    ///   - approver: who answers `ask` (a terminal prompt, an MCP elicitation, or nobody).
    ///   - sandboxed: apply `--allow-read` / `--allow-write` to local files.
    ///   - maxRequestsInFlight: the sandbox's cap on concurrent HTTP requests.
    ///   - progress: shows the calls a run waits on (the command line's progress line on a
    ///     terminal; never with `--json`); nil shows nothing.
    public init(settings: ReplicateSettings, client: ReplicateClient? = nil, approver: any Approver,
                sandboxed: Bool, maxRequestsInFlight: Int? = nil, progress: (any ProgressReporter)? = nil) {
        self.settings = settings
        self.madeClient = client
        self.approver = approver
        self.sandboxed = sandboxed
        self.gate = maxRequestsInFlight.map(RequestGate.init)
        self.progress = progress
        var trace: (@Sendable (String) -> Void)?
        if settings.trace {
            trace = { line in
                progress?.clear()
                FileHandle.standardError.write(Data((line + "\n").utf8))
            }
        }
        self.callLog = CallLog(trace: trace)
    }

    /// Whether `--force` bypassed the policy in this run (the `exec` envelope reports it).
    public var permissionBypassed: Bool { settings.policy.force }

    /// Predictions and trainings created so far (the spend guard's count).
    public var predictionsCreated: Int {
        lock.lock()
        defer { lock.unlock() }
        return creates
    }

    // MARK: Authorization

    /// Decides whether `function` (which performs `operation`) may run, asking when the policy
    /// says `ask`. Returns the decision for the call log; throws a `permission` error (and logs
    /// the denial) otherwise. Runs on the VM thread, before any request; the time a person takes
    /// to answer does not count toward `vm`'s time limit.
    func authorize(_ function: String, _ operation: OperationSpec, arguments: [String: JSONValue], pausing vm: LuaVM) throws -> Decision {
        if settings.policy.force { return .forced }
        let setting = settings.policy.setting(for: function, operation: operation)
        switch setting.mode {
        case .allow:
            return .allowed
        case .deny:
            let own = settings.policy.functions[function] != nil || settings.policy.functions[operation.name] != nil
            throw deny(function, operation, own ? "it is denied (\(setting.source))" : "\(operation.access.rawValue)s are denied (\(setting.source))")
        case .ask:
            lock.lock()
            let remembered = approvedFunctions.contains(function) || (operation.access == .write && allWritesApproved)
            lock.unlock()
            if remembered { return .approved }
            let request = ApprovalRequest(function: function, access: operation.access, arguments: ArgumentSummary.line(arguments))
            progress?.clear()
            switch vm.withTimeLimitPaused({ approver.approve(request) }) {
            case .yes:
                return .approved
            case .alwaysThisFunction:
                lock.lock()
                approvedFunctions.insert(function)
                lock.unlock()
                return .approved
            case .allWrites:
                lock.lock()
                if operation.access == .write { allWritesApproved = true } else { approvedFunctions.insert(function) }
                lock.unlock()
                return .approved
            case .no:
                throw deny(function, operation, "refused at the prompt")
            case .unavailable(let reason):
                throw deny(function, operation, "\(operation.access.rawValue)s ask for approval (\(setting.source)), but \(reason)")
            }
        }
    }

    private func deny(_ function: String, _ operation: OperationSpec, _ why: String) -> LuaRaise {
        let fix = "to allow it: --allow \(function), --\(operation.access.rawValue) allow or --force"
        callLog.append(CallRecord(function: function, access: operation.access, decision: .denied, status: nil, ms: 0, predictionID: nil, error: .permission))
        return LuaErrors.permission(function: function, access: operation.access, message: "\(why); \(fix)")
    }

    /// The spend guard: when `operation` creates a prediction or training (`OperationSpec.creates`,
    /// the one definition of a creating call), counts one more, or raises a `limit` error before
    /// any request when the run already made `maxPredictions`. `function` is what the script
    /// called (`run`, `stream`, or the operation itself).
    func reserveCreate(_ function: String, _ operation: OperationSpec) throws {
        guard operation.creates != nil, let max = settings.maxPredictions else { return }
        lock.lock()
        defer { lock.unlock() }
        guard creates < max else {
            callLog.append(CallRecord(function: function, access: .write, decision: .denied, status: nil, ms: 0, predictionID: nil, error: .limit))
            throw LuaErrors.limit(function: function, message:
                "this would create prediction number \(max + 1), but this run may create at most \(max) (--max-predictions \(max))")
        }
        creates += 1
    }

    /// Checks a local path against the sandbox's grants (`--allow-read` / `--allow-write`). A
    /// path to write is checked as `checkWriteTarget` does.
    func checkFileAccess(_ path: String, write: Bool, function: String) throws -> String {
        if write { return try checkWriteTarget(path, function: function).path }
        let absolute = URL(fileURLWithPath: path).standardizedFileURL
        guard sandboxed else { return absolute.path }
        // Resolve links in the directory part, so `granted/link -> /etc` does not escape.
        let resolved = absolute.deletingLastPathComponent().resolvingSymlinksInPath().appendingPathComponent(absolute.lastPathComponent).path
        let target = URL(fileURLWithPath: resolved).resolvingSymlinksInPath().path
        if Self.isWithin(target, settings.allowRead, orEqual: true) { return target }
        throw fileDenied(path, write: false, function: function)
    }

    /// Where a download to `path` may write: a file (never a directory, a FIFO or a device; see
    /// `DownloadTarget`) and, in the sandbox, one strictly inside an `--allow-write` grant after
    /// every link is resolved — so the temporary file, made in the target's own directory, is
    /// inside the grant too. The one check for every file a `replicate` function writes.
    func checkWriteTarget(_ path: String, function: String) throws -> DownloadTarget {
        if sandboxed {
            // Before looking at the file itself, so a script cannot probe what exists outside
            // its grants: the directory part with its links resolved must be granted.
            let absolute = URL(fileURLWithPath: path).standardizedFileURL
            let lexical = absolute.deletingLastPathComponent().resolvingSymlinksInPath().appendingPathComponent(absolute.lastPathComponent).path
            guard Self.isWithin(lexical, settings.allowWrite, orEqual: true) else { throw fileDenied(path, write: true, function: function) }
        }
        let target: DownloadTarget
        do {
            target = try DownloadTarget(checking: path, operation: function)
        } catch {
            throw LuaErrors.from(error, function: function).raise
        }
        guard !sandboxed || Self.isWithin(target.path, settings.allowWrite, orEqual: false) else {
            throw fileDenied(path, write: true, function: function)
        }
        return target
    }

    /// Whether `path` is inside one of `grants` (or is one, when `orEqual`).
    private static func isWithin(_ path: String, _ grants: [String], orEqual: Bool) -> Bool {
        grants.contains { (orEqual && path == $0) || path.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }
    }

    private func fileDenied(_ path: String, write: Bool, function: String) -> LuaRaise {
        let flag = write ? "--allow-write" : "--allow-read"
        let verb = write ? "writing" : "reading"
        return LuaErrors.permission(function: function, access: write ? .write : .read,
            message: "replicate.\(function): \(verb) \(path) is not allowed in the sandbox; grant its directory with \(flag) DIR")
    }

    // MARK: Performing calls

    /// Runs `body` as one logged call: waits for a request slot (sandbox), measures it, records
    /// it, and turns failures into `replicate` error tables.
    func perform<T: Sendable>(_ function: String, access: Access, decision: Decision,
                              _ body: () async throws -> (value: T, status: Int?, predictionID: String?)) async throws -> T {
        let started = DispatchTime.now().uptimeNanoseconds
        await gate?.acquire()
        defer { gate?.release() }
        do {
            let (value, status, id) = try await body()
            record(function, access, decision, started: started, status: status, predictionID: id)
            return value
        } catch {
            throw recordFailure(function, access, decision, started: started, error: error)
        }
    }

    /// `perform` on the calling thread, for work done in place: nil — with nothing logged — when
    /// `body` cannot do the call that way, or when the sandbox's request slots are all taken
    /// (`perform` waits for one). A call that `Stopped` is logged as cancelled.
    func performInPlace<T>(_ function: String, access: Access, decision: Decision,
                           _ body: () throws -> (value: T, status: Int?, predictionID: String?)?) throws -> T? {
        let started = DispatchTime.now().uptimeNanoseconds
        if let gate, !gate.tryAcquire() { return nil }
        defer { gate?.release() }
        do {
            guard let (value, status, id) = try body() else { return nil }
            record(function, access, decision, started: started, status: status, predictionID: id)
            return value
        } catch let stopped as Stopped {
            _ = recordFailure(function, access, decision, started: started, error: CancellationError())
            throw stopped
        } catch {
            throw recordFailure(function, access, decision, started: started, error: error)
        }
    }

    private func record(_ function: String, _ access: Access, _ decision: Decision, started: UInt64, status: Int?, predictionID: String?) {
        callLog.append(CallRecord(function: function, access: access, decision: decision, status: status,
                                  ms: Self.milliseconds(since: started), predictionID: predictionID, error: nil))
    }

    /// Logs a failed call; returns the error to raise in Lua.
    private func recordFailure(_ function: String, _ access: Access, _ decision: Decision, started: UInt64, error: any Error) -> LuaRaise {
        let (raise, kind) = LuaErrors.from(error, function: function)
        let failure = error as? ReplicateError
        callLog.append(CallRecord(function: function, access: access, decision: decision, status: failure?.status,
                                  ms: Self.milliseconds(since: started), predictionID: failure?.prediction?["id"]?.stringValue, error: kind))
        return raise
    }

    private static func milliseconds(since started: UInt64) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
    }
}

/// At most `limit` requests in flight at once (the sandbox's limit); later ones wait their turn.
/// A lock rather than an actor: a request sent in place takes its slot without a task.
final class RequestGate: @unchecked Sendable {
    // Guards `inFlight` and `waiting`; never held across a wait.
    private let lock = NSLock()
    private let limit: Int
    private var inFlight = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(limit: Int) { self.limit = max(1, limit) }

    /// Takes a slot, waiting for one when all are taken.
    func acquire() async {
        if tryAcquire() { return }
        await withCheckedContinuation { continuation in
            lock.lock()
            if inFlight < limit {
                inFlight += 1
                lock.unlock()
                continuation.resume()
            } else {
                waiting.append(continuation)
                lock.unlock()
            }
        }
    }

    /// Takes a slot if one is free.
    func tryAcquire() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard inFlight < limit else { return false }
        inFlight += 1
        return true
    }

    /// Gives a slot back, to the longest waiter if any (its slot passes on, `inFlight` unchanged).
    func release() {
        lock.lock()
        if waiting.isEmpty {
            inFlight -= 1
            lock.unlock()
        } else {
            let next = waiting.removeFirst()
            lock.unlock()
            next.resume()
        }
    }
}
