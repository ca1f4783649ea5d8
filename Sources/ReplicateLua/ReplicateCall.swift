import LuaHost
import Replicate

/// One `replicate.*` call as a value on its way through the pipeline (`CallPipeline`): what the
/// script called, the operation it performs, its arguments, and what the stages add — the
/// request `check` built and the decision `authorize` made.
///
/// A helper is a composition of such calls: `run` is one `create_prediction` call (or its model
/// or deployment form) whose work also waits for the prediction; `download` is a
/// `download_file` call. Whatever the script called, the policy, the prompt, the spend guard
/// and the call log see the same value.
struct ReplicateCall: Sendable {
    /// What the script called (`get_model`, `run`, `download`): the name the policy, the prompt
    /// and the call log use.
    let function: String
    /// The API operation the call performs (for a helper, the one its policy is decided by).
    let operation: OperationSpec
    /// The operation's arguments by their API names (`model_owner`, `input`, …).
    private(set) var arguments: [String: JSONValue]
    /// What the progress line shows while the call waits (a model, a prediction id); nil shows
    /// nothing (a call answered at once).
    private(set) var label: String?
    /// The request `check` built from the arguments, the one `send` sends.
    internal(set) var request: PreparedRequest?
    /// How `authorize` decided the call.
    internal(set) var decision: Decision = .allowed
    /// The model a creating call runs, when its reader knows it (`run("owner/name", …)`); the
    /// input check and the approval prompt name it.
    var model: ModelName?
    /// Whether the input check runs (`validate = false` in a call's options turns it off).
    var validates = true
    /// Local files too large to send inline: uploaded by `CallSteps.send` before the request,
    /// which then carries their URLs (`FileInputs`).
    var uploads: [FileInputs.Upload] = []
    /// The call log's note of this call while it is in flight (set by `CallPipeline.execute`),
    /// so what its send creates is named in its record even if the run ends first.
    var ticket: CallLog.Ticket?
    /// A creating call's place in the run's journal (`JournalStage.place`), when the run keeps one.
    var journalPlace: JournalPlace?

    init(function: String, operation: OperationSpec, arguments: [String: JSONValue], label: String? = nil) {
        self.function = function
        self.operation = operation
        self.arguments = arguments
        self.label = label
    }

    var access: Access { operation.access }

    /// A creating call's sync wait (`wait`, or a raw `Prefer: wait[=n]`) held to at most
    /// `seconds` (at least 1), so the create answers — and its prediction's id is known — before
    /// the run's time limit ends it: a create still open at the end would leave a prediction the
    /// run never learns of, which it could neither report nor cancel.
    mutating func capSyncWait(to seconds: Double) {
        let cap = Int64(max(1, min(60, seconds.isFinite ? seconds.rounded(.down) : 60)))
        let asked: Int64?
        if let wait = arguments["wait"] {
            asked = wait.boolValue.map { $0 ? 60 : 0 } ?? wait.intValue
        } else if let prefer = arguments["Prefer"]?.stringValue {
            asked = prefer == "wait" ? 60 : prefer.hasPrefix("wait=") ? Int64(prefer.dropFirst(5)) : nil
        } else {
            asked = nil
        }
        // A wait outside 1...60 is left as given, for the check to refuse with its own words.
        guard let asked, (1...60).contains(asked), asked > cap else { return }
        arguments["Prefer"] = nil
        arguments["wait"] = .int(cap)
    }

    /// The same call without a progress line (one that shows its own).
    var unlabelled: ReplicateCall {
        var copy = self
        copy.label = nil
        return copy
    }
}

/// A model's `owner/name`.
struct ModelName: Sendable, Hashable, CustomStringConvertible {
    var owner: String
    var name: String
    var description: String { owner + "/" + name }
}

/// What a call's work returns: the values for Lua and, for the call log, the last HTTP status
/// and the prediction or training the call is about.
struct CallResult: Sendable {
    var values: [LuaValue]
    var status: Int?
    /// The prediction or training the call created or read, as its answer showed it.
    var run: RunFacts?

    /// - Parameter run: the API's prediction or training object the call ended with, if any.
    init(_ values: [LuaValue], status: Int?, run: JSONValue? = nil) {
        self.values = values
        self.status = status
        self.run = RunFacts(run)
    }
}

/// What a call does once admitted, written once; `CallPipeline.execute` makes both the form that
/// waits in place and the form that runs as a task from it.
enum CallBody: Sendable {
    /// The call is its one request: `send` sends `ReplicateCall.request` — in place on the VM
    /// thread when the caller waits and the client can send that way, else from a task — and
    /// `decode` turns the answer into the call's result (the decode stage).
    case exchange(decode: @Sendable (APIResponse) throws -> CallResult)
    /// The call is several steps (a run's create and then its polling; a stream's create and its
    /// connection; an upload's body; a download to a file), run as a task. The steps send the
    /// call's own request through `CallSteps.send`, so it passes the same send stage.
    case steps(@Sendable (CallSteps) async throws -> CallResult)
}
