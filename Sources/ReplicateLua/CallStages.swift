import Replicate

/// Where later stages plug into every call's pipeline. Each is empty in `CallStages()`: with none
/// set, a call passes check → authorize → budget → send → decode → log and nothing else runs. A
/// session starts with the model-input check (`ModelInputCheck`) in place.
struct CallStages: Sendable {
    /// Runs after `check` and before `authorize`: a model-input check, so a call that cannot
    /// succeed is refused before anyone is asked to approve it or anything is spent.
    var inputCheck: (any CallCheck)?
    /// Runs before every `send`: admission per call. None is set: the rate limits are paced by
    /// the client (`RatePacer` in the transport), which also sees the requests a call's steps
    /// make (polls, uploads, downloads) that never pass this stage.
    var pacer: (any CallPacer)?
    /// Wraps `send` of the calls that create something: a journal that records the create, and
    /// on a rerun may answer it from its record instead of sending it again.
    var journal: (any CallJournal)?

    init(inputCheck: (any CallCheck)? = nil, pacer: (any CallPacer)? = nil, journal: (any CallJournal)? = nil) {
        self.inputCheck = inputCheck
        self.pacer = pacer
        self.journal = journal
    }
}

/// A check of a call's arguments beyond the catalog's (a model's input schema). Runs on the VM
/// thread, which it may block for a lookup (asking `stop`); throws the `validation` error to
/// raise.
protocol CallCheck: Sendable {
    func check(_ call: ReplicateCall, in session: ReplicateSession, stop: StopCheck) throws
}

/// Holds calls back before they are sent.
protocol CallPacer: Sendable {
    /// Waits until `call` may be sent (from a task).
    func waitTurn(for call: ReplicateCall) async throws
    /// Takes a turn for `call` if one is free now, without waiting (a call sent in place); false
    /// has the call sent from a task instead, which waits with `waitTurn`.
    func takeTurnNow(for call: ReplicateCall) -> Bool
}

/// Records the calls that create something around their send. Creates are POSTs, which are
/// never sent in place, so a journal sees every one from a task.
protocol CallJournal: Sendable {
    /// Sends `call` with `send`, or answers it from the journal without sending (`client`
    /// looks up what an earlier run made).
    func send(_ call: ReplicateCall, on client: ReplicateClient, _ send: @Sendable () async throws -> APIResponse) async throws -> APIResponse
}
