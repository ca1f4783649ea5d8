import Foundation
import LuaHost
import Replicate

/// The streams a run has open, by id. `replicate.stream` returns an iterator over one of them;
/// the iterator's to-be-closed value closes it when a loop ends early.
final class OpenStreams: @unchecked Sendable {
    /// One stream: its events and its progress line. Only one `next` runs at a time per stream
    /// (a Lua iterator is called in sequence, but tasks can share one), which `claim` enforces.
    /// `next` claims the stream on the VM thread and releases it from the task that waited for
    /// the event, and a stream can be finished from either, so that state is behind a lock.
    final class Entry: @unchecked Sendable {
        /// Used only by the `next` holding the claim; the lock orders one holder before the next.
        var iterator: AsyncThrowingStream<ServerSentEvent, Error>.AsyncIterator
        let predictionID: String
        let progressLine: Int?
        /// When the stream's `timeout` ends it: the next `next` after it cancels the prediction
        /// (the server's `Cancel-After` ends a stream that is waited on past it).
        let deadline: Date?
        private let lock = NSLock()
        private var busy = false
        private var finished = false

        init(_ stream: AsyncThrowingStream<ServerSentEvent, Error>, predictionID: String, progressLine: Int?, deadline: Date?) {
            self.iterator = stream.makeAsyncIterator()
            self.predictionID = predictionID
            self.progressLine = progressLine
            self.deadline = deadline
        }

        /// What `claim` found.
        enum Claim { case claimed, busy, finished }

        /// Takes the stream for one `next`, unless another `next` holds it or it is finished.
        func claim() -> Claim {
            lock.lock()
            defer { lock.unlock() }
            if busy { return .busy }
            if finished { return .finished }
            busy = true
            return .claimed
        }

        /// Gives the stream back after a `next`.
        func release() {
            lock.lock()
            defer { lock.unlock() }
            busy = false
        }

        /// No event is read after this.
        func markFinished() {
            lock.lock()
            defer { lock.unlock() }
            finished = true
        }
    }

    private let lock = NSLock()
    private var entries: [Int: Entry] = [:]
    private var nextID = 1

    func add(_ entry: Entry) -> Int {
        lock.lock()
        defer { lock.unlock() }
        let id = nextID
        nextID += 1
        entries[id] = entry
        return id
    }

    func get(_ id: Int) -> Entry? {
        lock.lock()
        defer { lock.unlock() }
        return entries[id]
    }

    func remove(_ id: Int) -> Entry? {
        lock.lock()
        defer { lock.unlock() }
        return entries.removeValue(forKey: id)
    }
}

/// `replicate.stream(ref, input, opts)`: `stream_open` creates the prediction and connects,
/// `stream_next` returns the next event (`output`, `logs`) or nil after `done`, and an `error`
/// event raises a `model` error.
enum StreamHelpers {
    /// `stream_open`: one create call (as `run` makes it, without sync mode) whose steps then
    /// connect to the prediction's stream; the stream's progress line lasts until it closes.
    static func open(_ source: SessionSource) -> HostFunction {
        .work { call in
            let session = try source.get(for: "stream")
            let (creation, options) = try RunHelpers.creation(call, session: session, function: "stream", waitByDefault: false)
            let timeout = options["timeout"] != nil ? try RunHelpers.timeout(options, function: "stream") : nil
            let pipeline = session.pipeline
            // The call itself ends once connected; the stream's own line shows it from then on.
            let admitted = try pipeline.admit(creation.unlabelled, from: call)
            let label = creation.label
            return pipeline.execute(admitted, .steps { steps in
                let response = try await steps.send()
                let prediction = try Prediction(json: response.body)
                let events = try steps.client.stream(prediction)
                let line = label.flatMap { session.progress?.begin($0) }
                if let line { session.progress?.update(line, status: "streaming", logs: nil) }
                let deadline = timeout.map { Date().addingTimeInterval($0) }
                let id = session.streams.add(OpenStreams.Entry(events, predictionID: prediction.id, progressLine: line, deadline: deadline))
                return CallResult([.integer(Int64(id)), LuaJSON.value(prediction.raw)], status: response.status, run: prediction.raw)
            })
        }
    }

    /// `stream_next`: the next event of an open stream — not an API call, so not a pipeline one.
    static func next(_ source: SessionSource) -> HostFunction {
        .async { call in
            let session = try source.get(for: "stream")
            guard let id = call.integer(1).map(Int.init), let entry = session.streams.get(id) else {
                throw LuaErrors.validation(function: "stream", message: "replicate.stream: this stream is closed")
            }
            switch entry.claim() {
            case .busy:
                throw LuaErrors.validation(function: "stream", message: "replicate.stream: the iterator is already waiting for an event in another task")
            case .finished:
                return { [] }
            case .claimed:
                break
            }
            let client = session.client
            return {
                defer { entry.release() }
                if let deadline = entry.deadline, Date() > deadline {
                    finish(session, id)
                    let ended = (try? await client.predictions.cancel(entry.predictionID))?.raw
                    throw LuaErrors.from(ReplicateError(kind: .timeout, message: "stream: prediction \(entry.predictionID) was still streaming at its timeout, so it was canceled",
                                                        prediction: ended, operation: "stream"), function: "stream").raise
                }
                do {
                    while let event = try await entry.iterator.next() {
                        switch event.event {
                        case "done":
                            finish(session, id)
                            return []
                        case "error":
                            finish(session, id)
                            // The event's data is `{"detail": "…"}`: its detail is the error, as `run` reports it.
                            let detail = (try? JSONValue(parsing: Data(event.data.utf8)))?["detail"]?.stringValue ?? event.data
                            let prediction: JSONValue = ["id": .string(entry.predictionID), "status": "failed", "error": .string(detail)]
                            throw LuaErrors.from(ReplicateError.model(prediction, operation: "stream"), function: "stream").raise
                        default:
                            var fields: [(String, LuaValue)] = [("event", .string(event.event)), ("data", .string(event.data))]
                            if let eventID = event.id { fields.append(("id", .string(eventID))) }
                            return [.table(fields)]
                        }
                    }
                    finish(session, id)
                    return []
                } catch let raise as LuaRaise {
                    throw raise
                } catch {
                    finish(session, id)
                    throw LuaErrors.from(error, function: "stream").raise
                }
            }
        }
    }

    /// Closes a stream (the loop ended, or broke out early); harmless when already closed.
    static func close(_ source: SessionSource) -> (LuaCall) throws -> Int32 {
        { call in
            if let session = source.ifMade, let id = call.integer(1).map(Int.init) { finish(session, id) }
            return 0
        }
    }

    private static func finish(_ session: ReplicateSession, _ id: Int) {
        guard let entry = session.streams.remove(id) else { return }
        entry.markFinished()
        if let line = entry.progressLine { session.progress?.end(line) }
    }
}
