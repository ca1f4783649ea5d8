import Foundation
import LuaHost
import Replicate

/// The state one host shares with every `replicate.*` call of a run: settings, the client,
/// the approver, the call log, the spend guard and the progress reporter. Its calls pass the
/// stages of `CallPipeline`; the policy's two (authorize, budget) are here.
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
    /// The stages that plug into every call (`CallStages`): the model-input check and the
    /// journal. Set before
    /// the first call.
    var stages: CallStages
    /// The models this run's calls name: lookups and interfaces, each fetched once.
    let models: ModelDirectory
    /// What this run's calls created, for `endRun` when the run ends.
    let createdRuns: CreatedRuns
    /// The journal of this run's creates (`--journal`); passes every call through when off.
    let journal: JournalStage
    /// The folders this run saves outputs into (`--save`, `opts.save`).
    let vaults = OutputVaults()

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
    ///   - onCreate: told of each prediction and training as its create answers (an MCP
    ///     server's child tells the server, which settles them if the child is ended).
    public init(settings: ReplicateSettings, client: ReplicateClient? = nil, approver: any Approver,
                sandboxed: Bool, maxRequestsInFlight: Int? = nil, progress: (any ProgressReporter)? = nil,
                onCreate: CreateObserver? = nil) {
        self.settings = settings
        self.createdRuns = CreatedRuns(onCreate: onCreate)
        self.madeClient = client
        self.approver = approver
        self.sandboxed = sandboxed
        self.gate = maxRequestsInFlight.map(RequestGate.init)
        self.progress = progress
        let models = ModelDirectory(settings: settings)
        self.models = models
        let journal = JournalStage(settings: settings)
        self.journal = journal
        self.stages = CallStages(inputCheck: ModelInputCheck(models: models), journal: journal)
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
    /// `model`, when the call runs one the script named, leads the prompt's summary.
    func authorize(_ function: String, _ operation: OperationSpec, arguments: [String: JSONValue], model: ModelName? = nil,
                   pausing vm: LuaVM) throws -> Decision {
        if settings.policy.force { return .forced }
        let setting = settings.policy.setting(for: function, operation: operation)
        switch setting.mode {
        case .allow:
            return .allowed
        case .deny:
            let own = settings.policy.functions[function] != nil || settings.policy.functions[operation.name] != nil
            throw deny(function, operation, own ? "it is denied (\(setting.source))" : "\(operation.access.rawValue)s are denied (\(setting.source))",
                       .policy(function: function, access: operation.access, own: own))
        case .ask:
            lock.lock()
            let remembered = approvedFunctions.contains(function) || (operation.access == .write && allWritesApproved)
            lock.unlock()
            if remembered { return .approved }
            let request = ApprovalRequest(function: function, access: operation.access, arguments: ArgumentSummary.line(arguments, model: model?.description))
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
                throw deny(function, operation, "refused at the prompt", .declined(function: function, access: operation.access))
            case .unavailable(let reason):
                throw deny(function, operation, "\(operation.access.rawValue)s ask for approval (\(setting.source)), but \(reason)",
                           .noOneToAsk(function: function, access: operation.access))
            }
        }
    }

    /// Whether the policy refuses `function` without asking anyone (`authorize` then throws).
    func deniesOutright(_ function: String, _ operation: OperationSpec) -> Bool {
        !settings.policy.force && settings.policy.setting(for: function, operation: operation).mode == .deny
    }

    private func deny(_ function: String, _ operation: OperationSpec, _ why: String, _ refusal: Refusal) -> LuaRaise {
        let fix = settings.audience.remedy(refusal)
        callLog.append(CallRecord(function: function, access: operation.access, decision: .denied, status: nil, ms: 0, predictionID: nil, error: .permission))
        return LuaErrors.permission(function: function, access: operation.access, message: "\(why); \(fix)")
    }

    /// The spend guard: when `operation` creates a prediction or training (`OperationSpec.creates`,
    /// the one definition of a creating call), counts one more, or raises a `limit` error before
    /// any request when the run already made `maxPredictions`. `function` is what the script
    /// called (`run`, `stream`, or the operation itself).
    ///
    /// Beside it, the predict-time budget (`maxPredictSeconds`): once the runs this run created
    /// have reported that much predict time, no create is sent. A run reports its time when it
    /// ends, so runs still going when a create is checked count only once they finish.
    func reserveCreate(_ function: String, _ operation: OperationSpec) throws {
        guard operation.creates != nil else { return }
        if let max = settings.maxPredictSeconds {
            let used = createdRuns.predictSeconds
            guard used < max else {
                callLog.append(CallRecord(function: function, access: .write, decision: .denied, status: nil, ms: 0, predictionID: nil, error: .limit))
                throw LuaErrors.limit(function: function, message:
                    "this run's predictions have used \(Self.seconds(used)) of predict time, and it may use at most \(Self.seconds(max)), so it may create no more ("
                    + settings.audience.remedy(.predictTimeLimit(max: max)) + ")")
            }
        }
        guard let max = settings.maxPredictions else { return }
        lock.lock()
        defer { lock.unlock() }
        guard creates < max else {
            callLog.append(CallRecord(function: function, access: .write, decision: .denied, status: nil, ms: 0, predictionID: nil, error: .limit))
            throw LuaErrors.limit(function: function, message:
                "this would create prediction number \(max + 1), but this run may create at most \(max) (" + settings.audience.remedy(.predictionLimit(max: max)) + ")")
        }
        creates += 1
    }

    /// "12.3 s": predict time as the limit's error shows it.
    static func seconds(_ value: Double) -> String {
        String(format: "%.1f s", value.isFinite ? value : 0)
    }
}
