import AgentMode
import Crypto
import Foundation
import MCP
import ReplicateLua

/// Approval for clients of the stateless revision (2026-07-28), which take no requests from the
/// server (its multi round-trip pattern replaces them). When a snippet's `ask` needs a person,
/// its execution pauses where it asked (the clock held, as for an elicitation) and the call
/// returns an input-required result: the question as an elicitation form and a signed
/// `requestState`. The client asks the person and retries the call with the answer, which
/// resumes that same execution: nothing the snippet did before asking runs twice.
///
/// A paused execution waits `RequestState.lifetime` for its retry; after that its question is
/// answered "nobody could be asked", so the snippet goes on as a denied call does and ends.
final class StatelessApprovals: @unchecked Sendable {
    /// Where the retry's `requestState` and `inputResponses` reach the handler: `ProtocolEras`
    /// moves them from the request's params into its `_meta` under these keys (the SDK's tool
    /// parameters have no place for them).
    static let stateKey = "dev.kosmo-lua/requestState"
    static let responsesKey = "dev.kosmo-lua/inputResponses"
    /// A tool result carrying this `_meta` member leaves the server as an input-required result.
    static let inputRequiredKey = "dev.kosmo-lua/inputRequired"
    static let clientCapabilitiesKey = "io.modelcontextprotocol/clientCapabilities"
    /// The one input request's key.
    static let approvalKey = "approval"
    /// Most executions paused at once; a call past it is refused until one ends.
    static let maxPaused = 16

    private let key = SymmetricKey(size: .bits256)
    // Guards `paused`.
    private let lock = NSLock()
    private var paused: [String: PausedExecution] = [:]

    /// Whether this call is a stateless client's that this pattern answers: a 2026-07-28
    /// request that declares elicitation, or a retry carrying a `requestState`.
    static func applies(to meta: Metadata?) -> Bool {
        guard let meta, meta[ProtocolEras.versionKey]?.stringValue == ProtocolEras.modern else { return false }
        if meta[stateKey] != nil { return true }
        if case .object(let capabilities)? = meta[clientCapabilitiesKey], capabilities["elicitation"] != nil { return true }
        return false
    }

    /// Runs `code` (a first call: `start` begins the execution with the asker it must use) or
    /// resumes the execution a retry's `requestState` names, until it finishes or asks. The
    /// session's relay remembers "always" answers for both kinds of client.
    func call(code: [UInt8], meta: Metadata?, relay: ApprovalRelay,
              start: @escaping @Sendable (PausedExecution) async -> ChildExecution.Outcome) async -> CallTool.Result {
        if let token = meta?[Self.stateKey]?.stringValue {
            return await resume(token: token, code: code, responses: meta?[Self.responsesKey], relay: relay)
        }
        let execution = PausedExecution(codeDigest: RequestState.digest(code), relay: relay)
        let admitted = lock.withLock { () -> Bool in
            guard paused.count < Self.maxPaused else { return false }
            paused[execution.id] = execution
            return true
        }
        guard admitted else {
            return Tools.usage("\(Self.maxPaused) executions are already waiting for an approval; answer or abandon one first")
        }
        execution.begin({ await start(execution) }, ended: { [weak self] in self?.forget(execution.id) })
        return await step(execution)
    }

    private func resume(token: String, code: [UInt8], responses: Value?, relay: ApprovalRelay) async -> CallTool.Result {
        let state: RequestState
        do {
            state = try RequestState(token: token, key: key, code: code)
        } catch {
            return Tools.usage(error.message)
        }
        guard let execution = lock.withLock({ paused[state.execution] }) else {
            return Tools.usage("the execution this requestState paused has ended (its question waited more than \(Int(RequestState.lifetime)) s, or it was already resumed); call execute_lua again without it")
        }
        guard let pending = execution.pendingQuestion, pending.index == state.question else {
            return Tools.usage("this requestState's question was already answered; send the requestState of the latest input-required result")
        }
        // A retry without the answer is asked again, as the revision says, not refused.
        guard case .object(let answers)? = responses, case .object(let reply)? = answers[Self.approvalKey] else {
            return inputRequired(pending.question, index: pending.index, execution: execution)
        }
        let choice = reply["content"]?.objectValue?["answer"]?.stringValue
        let answer = relay.answer(accepted: reply["action"]?.stringValue == "accept", choice: choice, to: pending.question)
        execution.answer(answer, index: pending.index)
        return await step(execution)
    }

    /// Waits for the execution's next event: its end (the tool result) or a question (an
    /// input-required result). The client cancelling the request ends the execution.
    private func step(_ execution: PausedExecution) async -> CallTool.Result {
        let event = await withTaskCancellationHandler {
            await execution.next()
        } onCancel: {
            execution.cancel()
        }
        switch event {
        case .finished(let outcome):
            return Tools.result(for: outcome)
        case .asking(let question, let index):
            return inputRequired(question, index: index, execution: execution)
        }
    }

    private func forget(_ id: String) {
        lock.withLock { _ = paused.removeValue(forKey: id) }
    }

    /// The tool result that `ProtocolEras` sends as an input-required result: the question as
    /// an elicitation form, and the signed state of this question of this execution.
    func inputRequired(_ question: ApprovalChannel.Question, index: Int, execution: PausedExecution) -> CallTool.Result {
        let form = ApprovalRelay.form(for: question)
        let schema = (try? JSONEncoder().encode(form.schema)).flatMap { try? JSONDecoder().decode(Value.self, from: $0) } ?? .object([:])
        let state = RequestState(execution: execution.id, question: index, codeDigest: execution.codeDigest,
                                 expires: Date().timeIntervalSince1970 + RequestState.lifetime)
        let request: Value = .object([
            "method": .string("elicitation/create"),
            "params": .object(["mode": .string("form"), "message": .string(form.message), "requestedSchema": schema]),
        ])
        let marker: Value = .object(["inputRequests": .object([Self.approvalKey: request]), "requestState": .string(state.token(key: key))])
        return CallTool.Result(content: [.text(text: "waiting for approval: " + form.message, annotations: nil, _meta: nil)],
                               _meta: Metadata(additionalFields: [Self.inputRequiredKey: marker]))
    }
}

/// One execution of a stateless client's call, which may pause at its questions between calls.
/// The child's approval reader asks it (`askBlocking`, on that reader's thread); the tool
/// handler waits for its events (`next`).
final class PausedExecution: @unchecked Sendable {
    /// What the handler waits for.
    enum Event: Sendable {
        case finished(ChildExecution.Outcome)
        case asking(ApprovalChannel.Question, index: Int)
    }

    let id = UUID().uuidString
    let codeDigest: String
    private let relay: ApprovalRelay
    // Guards everything below.
    private let lock = NSLock()
    private var events: [Event] = []
    private var waiter: CheckedContinuation<Event, Never>?
    private var asked = 0
    private var pending: (question: ApprovalChannel.Question, index: Int, semaphore: DispatchSemaphore)?
    private var answers: [Int: ApprovalAnswer] = [:]
    private var task: Task<Void, Never>?

    init(codeDigest: String, relay: ApprovalRelay) {
        self.codeDigest = codeDigest
        self.relay = relay
    }

    /// Starts the execution; `ended` runs once it has finished and its result was handed on.
    func begin(_ run: @escaping @Sendable () async -> ChildExecution.Outcome, ended: @escaping @Sendable () -> Void) {
        let task = Task {
            let outcome = await run()
            self.post(.finished(outcome))
            ended()
        }
        lock.withLock { self.task = task }
    }

    /// Ends the execution (the client cancelled its request): its child is ended as any
    /// cancelled execution's is.
    func cancel() {
        lock.withLock { task }?.cancel()
        // A question it was waiting on will never be answered now.
        answer(.no, index: lock.withLock { pending?.index } ?? -1)
    }

    /// The question waiting for its answer, if any.
    var pendingQuestion: (question: ApprovalChannel.Question, index: Int)? {
        lock.withLock { pending.map { ($0.question, $0.index) } }
    }

    /// Answers question `index` (nothing happens if it is not the one waiting).
    func answer(_ answer: ApprovalAnswer, index: Int) {
        lock.withLock {
            guard let waiting = pending, waiting.index == index else { return }
            answers[index] = answer
            pending = nil
            waiting.semaphore.signal()
        }
    }

    /// The child's question, from its approval reader: waits for the retry's answer, at most
    /// the request state's lifetime. An "always" answer given earlier in the session answers
    /// at once.
    func askBlocking(_ question: ApprovalChannel.Question) -> ApprovalAnswer {
        if relay.remembers(question) { return .yes }
        let semaphore = DispatchSemaphore(value: 0)
        let index = lock.withLock { () -> Int in
            asked += 1
            pending = (question, asked, semaphore)
            return asked
        }
        post(.asking(question, index: index))
        if semaphore.wait(timeout: .now() + RequestState.lifetime) == .timedOut {
            let stillWaiting = lock.withLock { () -> Bool in
                guard pending?.index == index else { return false }
                pending = nil
                return true
            }
            if stillWaiting { return .unavailable("no answer came within \(Int(RequestState.lifetime)) s (the client did not retry the call)") }
        }
        return lock.withLock { answers.removeValue(forKey: index) } ?? .no
    }

    /// The next event, waiting for it if none has come.
    func next() async -> Event {
        await withCheckedContinuation { continuation in
            let ready = lock.withLock { () -> Event? in
                if !events.isEmpty { return events.removeFirst() }
                waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    private func post(_ event: Event) {
        let waiting = lock.withLock { () -> CheckedContinuation<Event, Never>? in
            if let waiter {
                self.waiter = nil
                return waiter
            }
            events.append(event)
            return nil
        }
        waiting?.resume(returning: event)
    }
}
