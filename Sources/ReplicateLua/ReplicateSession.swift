import Foundation
import LuaHost
import Replicate

/// The state one host shares with every `replicate.*` call of a run: settings, the client,
/// the approver, the call log, the spend guard and the progress line.
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
    let progress: ProgressLine?
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
    ///   - showProgress: draw the progress line (the CLI on a terminal; never `--json`).
    public init(settings: ReplicateSettings, client: ReplicateClient? = nil, approver: any Approver,
                sandboxed: Bool, maxRequestsInFlight: Int? = nil, showProgress: Bool) {
        self.settings = settings
        self.madeClient = client
        self.approver = approver
        self.sandboxed = sandboxed
        self.gate = maxRequestsInFlight.map(RequestGate.init)
        let progress = showProgress ? ProgressLine.forStandardError(quiet: settings.quiet) : nil
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
    /// the denial) otherwise. Runs on the VM thread, before any request.
    func authorize(_ function: String, _ operation: OperationSpec, arguments: [String: JSONValue]) throws -> String {
        if settings.policy.force { return "forced" }
        let setting = settings.policy.setting(for: function, operation: operation)
        switch setting.mode {
        case .allow:
            return "allowed"
        case .deny:
            let own = settings.policy.functions[function] != nil || settings.policy.functions[operation.name] != nil
            throw deny(function, operation, own ? "it is denied (\(setting.source))" : "\(operation.access.rawValue)s are denied (\(setting.source))")
        case .ask:
            lock.lock()
            let remembered = approvedFunctions.contains(function) || (operation.access == .write && allWritesApproved)
            lock.unlock()
            if remembered { return "approved" }
            let request = ApprovalRequest(function: function, access: operation.access, arguments: ArgumentSummary.line(arguments))
            progress?.clear()
            switch approver.approve(request) {
            case .yes:
                return "approved"
            case .alwaysThisFunction:
                lock.lock()
                approvedFunctions.insert(function)
                lock.unlock()
                return "approved"
            case .allWrites:
                lock.lock()
                if operation.access == .write { allWritesApproved = true } else { approvedFunctions.insert(function) }
                lock.unlock()
                return "approved"
            case .no:
                throw deny(function, operation, "refused at the prompt")
            case .unavailable(let reason):
                throw deny(function, operation, "\(operation.access.rawValue)s ask for approval (\(setting.source)), but \(reason)")
            }
        }
    }

    private func deny(_ function: String, _ operation: OperationSpec, _ why: String) -> LuaRaise {
        let access = operation.access.rawValue
        let fix = "to allow it: --allow \(function), --\(access) allow or --force"
        callLog.append(CallRecord(function: function, access: access, decision: "denied", status: nil, ms: 0, predictionID: nil, error: "permission"))
        return LuaErrors.permission(function: function, access: access, message: "\(why); \(fix)")
    }

    /// The spend guard: counts one more prediction or training, or raises a `limit` error
    /// before any request when the run already made `maxPredictions`.
    func reserveCreate(_ function: String) throws {
        guard let max = settings.maxPredictions else { return }
        lock.lock()
        defer { lock.unlock() }
        guard creates < max else {
            callLog.append(CallRecord(function: function, access: "write", decision: "denied", status: nil, ms: 0, predictionID: nil, error: "limit"))
            throw LuaErrors.limit(function: function, message:
                "this would create prediction number \(max + 1), but this run may create at most \(max) (--max-predictions \(max))")
        }
        creates += 1
    }

    /// Checks a local path against the sandbox's grants (`--allow-read` / `--allow-write`).
    func checkFileAccess(_ path: String, write: Bool, function: String) throws -> String {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL
        guard sandboxed else { return absolute.path }
        let grants = write ? settings.allowWrite : settings.allowRead
        // Resolve links in the directory part, so `granted/link -> /etc` does not escape.
        let resolved = absolute.deletingLastPathComponent().resolvingSymlinksInPath().appendingPathComponent(absolute.lastPathComponent).path
        let target = write ? resolved : URL(fileURLWithPath: resolved).resolvingSymlinksInPath().path
        if grants.contains(where: { target == $0 || target.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }) { return target }
        let flag = write ? "--allow-write" : "--allow-read"
        let verb = write ? "writing" : "reading"
        throw LuaErrors.permission(function: function, access: write ? "write" : "read",
            message: "replicate.\(function): \(verb) \(path) is not allowed in the sandbox; grant its directory with \(flag) DIR")
    }

    // MARK: Performing calls

    /// Runs `body` as one logged call: waits for a request slot (sandbox), measures it, records
    /// it, and turns failures into `replicate` error tables.
    func perform<T: Sendable>(_ function: String, access: Access, decision: String,
                              _ body: () async throws -> (value: T, status: Int?, predictionID: String?)) async throws -> T {
        let started = DispatchTime.now().uptimeNanoseconds
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6 }
        await gate?.acquire()
        defer { gate?.release() }
        do {
            let (value, status, id) = try await body()
            callLog.append(CallRecord(function: function, access: access.rawValue, decision: decision, status: status, ms: elapsed(), predictionID: id, error: nil))
            return value
        } catch {
            let (raise, kind) = LuaErrors.from(error, function: function)
            let failure = error as? ReplicateError
            let id = failure?.prediction?["id"]?.stringValue
            callLog.append(CallRecord(function: function, access: access.rawValue, decision: decision, status: failure?.status,
                                      ms: elapsed(), predictionID: id, error: kind))
            throw raise
        }
    }
}

/// At most `limit` requests in flight at once (the sandbox's limit); later ones wait their turn.
actor RequestGate {
    private let limit: Int
    private var inFlight = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(limit: Int) { self.limit = max(1, limit) }

    func acquire() async {
        if inFlight < limit {
            inFlight += 1
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    nonisolated func release() {
        Task { await self.releaseSlot() }
    }

    private func releaseSlot() {
        if waiting.isEmpty { inFlight -= 1 } else { waiting.removeFirst().resume() }
    }
}
