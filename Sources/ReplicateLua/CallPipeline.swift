import Foundation
import LuaHost
import Replicate

/// The stages every `replicate.*` call passes, each once and in this order (the call stages
/// table of docs/architecture.md names the file of each):
///
/// 1. **resolve** — the function's reader turns Lua arguments into a `ReplicateCall`: the
///    operation and its arguments by API name (`ArgumentMapper` for the catalog functions,
///    `RunHelpers.creation` for `run` and `stream`, each helper's own for the rest);
/// 2. **check** — the catalog's checks, which also build the request (`check`);
/// 3. *input check* — a seam (`CallStages.inputCheck`), empty by default;
/// 4. **authorize** — the policy and, for `ask`, the approver (`ReplicateSession.authorize`);
/// 5. **budget** — the spend guard for creating calls (`ReplicateSession.reserveCreate`);
/// 6. *pace* — a seam (`CallStages.pacer`), empty by default;
/// 7. **send** — the client sends it, in place or from a task as the client decides, with its one
///    retry engine (`send`; *journal*, a seam around it, `CallStages.journal`);
/// 8. **decode** — the answer becomes the call's Lua values (`CallBody`);
/// 9. **log** — the call log, `--trace` and the progress line (`record`).
///
/// Stages 2–5 run on the VM thread before anything is sent (`admit`); 6–9 in the work that
/// `execute` hands the Lua host, in whichever form the caller needs.
struct CallPipeline: Sendable {
    let session: ReplicateSession

    /// Most seconds a sandboxed create is held open in sync mode (`Prefer: wait`) before it
    /// answers with the prediction as it stands; the call then polls for the rest.
    static let sandboxSyncWait = 5.0

    // MARK: Stages before sending

    /// Check, the journal's place, input check, authorize and budget: on the VM thread, before any request. Returns
    /// the call with its request and decision; throws the error to raise (a `validation`,
    /// `permission` or `limit` error table), having logged a refusal.
    ///
    /// - Parameters:
    ///   - page: a paginated call's page: a `next`/`previous` URL an earlier page gave, or a
    ///     bare cursor.
    ///   - prepare: whether `check` builds the request from the arguments; false for a helper
    ///     whose steps make their own (an upload's body, a download's URL).
    func admit(_ call: ReplicateCall, page: String? = nil, prepare: Bool = true, from lua: LuaCall) throws -> ReplicateCall {
        let vm = lua.vm
        var call = call
        // A create's sync wait ends a second short of the run's time limit, so its answer (its
        // id) comes first; in the sandbox (agent code) after at most `sandboxSyncWait`, so a run
        // stopped at any moment learns its creates' ids within that.
        if call.operation.creates != nil {
            if let left = vm.inPlaceStopCheck.secondsLeft() { call.capSyncWait(to: left - 1) }
            if session.sandboxed { call.capSyncWait(to: Self.sandboxSyncWait) }
        }
        if prepare { call.request = try check(call, page: page) }
        // A creating call takes its place in the journal here, on the VM thread in the order the
        // script makes them; a create the journal knows differently is refused before anything.
        if call.operation.creates != nil { call.journalPlace = try session.journal.place(call, site: vm.callSite(on: lua.L)) }
        // A call the policy refuses outright is refused without the input check's lookups.
        if !session.deniesOutright(call.function, call.operation) {
            try session.stages.inputCheck?.check(call, in: session, stop: vm.inPlaceStopCheck)
        }
        call.decision = try session.authorize(call.function, call.operation, arguments: call.arguments, model: call.model, pausing: vm)
        // A create the journal answers with an earlier run's prediction spends nothing new, so
        // the limits on what this run creates do not count it.
        if call.journalPlace?.earlier?.runID == nil { try session.reserveCreate(call.function, call.operation) }
        return call
    }

    /// The catalog's checks (unknown names with the nearest valid one, missing required ones,
    /// types, `wait`, `cancel_after`), as a `validation` error in the function's name; returns
    /// the request they built — the one request `send` sends.
    private func check(_ call: ReplicateCall, page: String?) throws -> PreparedRequest {
        let mapper = ArgumentMapper(operation: call.operation, function: call.function)
        let request = try mapper.prepare(call.arguments, client: session.client)
        guard let page else { return request }
        do {
            return try request.page(at: page)
        } catch let error as ReplicateError {
            throw LuaErrors.validation(function: call.function, message: "replicate.\(call.function): \(error.message)")
        }
    }

    // MARK: Stages from sending on

    /// The work for an admitted call: pace, send, decode and log, as `HostWork` with both forms
    /// made from the one `body` — the task (on the client's executor), and for a one-request
    /// call the same request sent in place when the caller waits (the client decides whether it
    /// can). The sandbox's cap on requests in flight and the progress line hold in both.
    func execute(_ call: ReplicateCall, _ body: CallBody) -> HostWork {
        let session = self.session
        let client = session.client
        let run: AsyncHostWork = {
            let started = DispatchTime.now().uptimeNanoseconds
            var call = call
            call.ticket = session.callLog.begin(call)
            await session.gate?.acquire()
            defer { session.gate?.release() }
            let progress = session.progress
            let line = call.label.flatMap { label in progress?.begin(label) }
            defer { if let line { progress?.end(line) } }
            return try await withTaskCancellationHandler {
                do {
                    let result: CallResult
                    switch body {
                    case .exchange(let decode):
                        result = try decode(try await send(call, on: client))
                    case .steps(let steps):
                        result = try await steps(CallSteps(call: call, client: client, pipeline: self, progressLine: line))
                    }
                    record(call, started: started, result)
                    return result.values
                } catch {
                    throw recordFailure(call, started: started, error)
                }
            } onCancel: {
                // The caller stopped waiting (Ctrl-C in the REPL, the end of a run): the line
                // goes at once, though a request of the call may still be finishing.
                if let line { progress?.end(line) }
            }
        }
        guard case .exchange(let decode) = body, let request = call.request else {
            return HostWork(run: run, executor: client.executor)
        }
        return HostWork(run: run, executor: client.executor) { stop in
            let started = DispatchTime.now().uptimeNanoseconds
            // With every request slot taken, or no turn free under the pacer, the task form
            // waits for one instead of this thread.
            // A journaled create goes through the journal, from the task.
            if call.journalPlace != nil { return nil }
            if let gate = session.gate, !gate.tryAcquire() { return nil }
            defer { session.gate?.release() }
            if let pacer = session.stages.pacer, !pacer.takeTurnNow(for: call) { return nil }
            var call = call
            let ticket = session.callLog.begin(call)
            call.ticket = ticket
            do {
                guard let response = try client.performInPlace(request, stop: stop) else {
                    session.callLog.drop(ticket)
                    return nil
                }
                let result = try decode(response)
                record(call, started: started, result)
                return result.values
            } catch let stopped as Stopped {
                _ = recordFailure(call, started: started, CancellationError())
                throw stopped
            } catch {
                throw recordFailure(call, started: started, error)
            }
        }
    }

    /// The send stage from a task: the pacer's turn, then the client sends the call's request
    /// (through the journal for a creating call).
    func send(_ call: ReplicateCall, on client: ReplicateClient) async throws -> APIResponse {
        guard let request = call.request else {
            // A helper admitted with `prepare: false` makes its own requests in its steps.
            throw LuaErrors.validation(function: call.function, message: "replicate.\(call.function): the call has no request of its own to send")
        }
        let stages = session.stages
        if let pacer = stages.pacer { try await pacer.waitTurn(for: call) }
        let sendIt: @Sendable () async throws -> APIResponse = { try await client.perform(request) }
        guard let creates = call.operation.creates else { return try await sendIt() }
        let session = self.session
        let created = session.createdRuns
        // A create is sent in a task of its own, which the end of the run does not cancel: once
        // sent it may have made a prediction, whose id only its answer gives, so the answer is
        // awaited (the run's end waits for it, `CreatedRuns.waitForSends`) and recorded as soon
        // as it arrives — a run ended before the call is done still knows what it left running.
        created.beginSend()
        let sending = Task.detached(executorPreference: client.executor) { () async throws -> APIResponse in
            defer { created.endSend() }
            let response: APIResponse
            if let journal = stages.journal { response = try await journal.send(call, on: client, sendIt) } else { response = try await sendIt() }
            if let id = response.id {
                created.record(id, creates, RunFacts(response.body), function: call.function)
                if let ticket = call.ticket { session.callLog.created(id, by: ticket) }
            }
            return response
        }
        return try await sending.value
    }

    // MARK: Log

    /// Logs a finished call with what it learned about its prediction or training (its status,
    /// model and usage), which the spend guard's totals take too.
    private func record(_ call: ReplicateCall, started: UInt64, _ result: CallResult) {
        if let run = result.run { session.createdRuns.learn(run) }
        session.callLog.append(CallRecord(function: call.function, access: call.access, decision: call.decision, status: result.status,
                                          ms: Self.milliseconds(since: started), predictionID: nil, error: nil, run: result.run),
                               for: call.ticket)
    }

    /// Logs a failed call; returns the error to raise in Lua. A call stopped before it finished
    /// (the run's end, a limit, its caller giving up) is marked in flight.
    private func recordFailure(_ call: ReplicateCall, started: UInt64, _ error: any Error) -> LuaRaise {
        let (raise, kind) = LuaErrors.from(error, function: call.function)
        let failure = error as? ReplicateError
        let run = RunFacts(failure?.prediction)
        if let run { session.createdRuns.learn(run) }
        session.callLog.append(CallRecord(function: call.function, access: call.access, decision: call.decision, status: failure?.status,
                                          ms: Self.milliseconds(since: started), predictionID: nil, error: kind, run: run,
                                          inFlight: error is CancellationError || Task.isCancelled),
                               for: call.ticket)
        return raise
    }

    private static func milliseconds(since started: UInt64) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds &- started) / 1e6
    }
}

/// What a call made of several steps (`CallBody.steps`) works with: its own request's send
/// stage, the client for the steps after it, and its progress line.
struct CallSteps: Sendable {
    let call: ReplicateCall
    let client: ReplicateClient
    let pipeline: CallPipeline
    let progressLine: Int?

    /// Sends the call's own request through the send stage (pacer, journal). A call with local
    /// files too large to go inline uploads them first (`create_file`) and sends its request
    /// built again with their URLs.
    func send() async throws -> APIResponse {
        guard !call.uploads.isEmpty else { return try await pipeline.send(call, on: client) }
        var input = call.arguments["input"]?.objectValue ?? [:]
        for upload in call.uploads {
            let file = try await client.files.upload(upload.data, filename: upload.filename, contentType: MIMEType.guess(upload.filename))
            guard let url = file.raw["urls"]?["get"]?.stringValue else {
                throw LuaErrors.validation(function: call.function, message: "replicate.\(call.function): the upload of '\(upload.filename)' came back without a URL")
            }
            input[upload.field] = .string(url)
        }
        var arguments = call.arguments
        arguments["input"] = .object(input)
        var sending = call
        sending.request = try ArgumentMapper(operation: call.operation, function: call.function).prepare(arguments, client: client)
        return try await pipeline.send(sending, on: client)
    }

    /// Shows the call's latest status on its progress line (when it has one).
    func update(status: String, logs: String?) {
        if let progressLine { pipeline.session.progress?.update(progressLine, status: status, logs: logs) }
    }
}

extension ReplicateSession {
    /// The stages every call of this session passes.
    var pipeline: CallPipeline { CallPipeline(session: self) }
}
