import Foundation

// `PredictionStatus`, `PredictionURLs` and `Prediction` are generated from the spec, a
// prediction's fields shared with a training in `RunFields` (GeneratedObjects.swift).

extension PredictionStatus {
    /// `succeeded`, `failed`, `canceled` or `aborted`: the prediction will not change again.
    public var isTerminal: Bool { [.succeeded, .failed, .canceled, .aborted].contains(self) }
}

extension Prediction {
    /// `metrics.predict_time` in seconds.
    public var predictTime: Double? { metrics?["predict_time"]?.doubleValue }
    /// `created_at` as a date.
    public var createdDate: Date? { createdAt.flatMap(ISO8601.parse) }
    /// `completed_at` as a date.
    public var completedDate: Date? { completedAt.flatMap(ISO8601.parse) }
}

/// Parses the API's RFC 3339 timestamps, which carry 0 to 9 fractional digits.
enum ISO8601 {
    static func parse(_ s: String) -> Date? {
        // Trim the fraction to milliseconds: ISO8601DateFormatter accepts at most three digits.
        var text = s
        if let dot = text.firstIndex(of: "."), let end = text[dot...].firstIndex(where: { !$0.isNumber && $0 != "." }) {
            let digits = text[text.index(after: dot)..<end]
            text = String(text[..<dot]) + "." + String((digits + "000").prefix(3)) + String(text[end...])
        }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: text) { return d }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: text)
    }
}

/// Options for creating a prediction.
public struct PredictionOptions: Sendable {
    /// How long the create request may block for the result (`Prefer: wait[=n]`).
    public enum Wait: Sendable, Hashable {
        /// `Prefer: wait` — up to the server's 60 s.
        case untilDone
        /// `Prefer: wait=n`, n from 1 to 60.
        case seconds(Int)
    }

    public var wait: Wait?
    /// `Cancel-After`: seconds (≥ 5) or `30s`, `5m`, `1h30m`.
    public var cancelAfter: String?
    /// HTTPS URL to receive webhooks.
    public var webhook: String?
    /// Subset of `start`, `output`, `logs`, `completed`.
    public var webhookEventsFilter: [String]?
    /// Deprecated by the API (streams are always offered) but still accepted.
    public var stream: Bool?

    public init(wait: Wait? = nil, cancelAfter: String? = nil, webhook: String? = nil, webhookEventsFilter: [String]? = nil, stream: Bool? = nil) {
        self.wait = wait
        self.cancelAfter = cancelAfter
        self.webhook = webhook
        self.webhookEventsFilter = webhookEventsFilter
        self.stream = stream
    }

    func arguments(input: [String: JSONValue]) -> [String: JSONValue] {
        var args: [String: JSONValue] = ["input": .object(input)]
        switch wait {
        case .untilDone: args["wait"] = true
        case .seconds(let n): args["wait"] = .int(Int64(n))
        case nil: break
        }
        if let cancelAfter { args["cancel_after"] = .string(cancelAfter) }
        if let webhook { args["webhook"] = .string(webhook) }
        if let webhookEventsFilter { args["webhook_events_filter"] = .array(webhookEventsFilter.map(JSONValue.string)) }
        if let stream { args["stream"] = .bool(stream) }
        return args
    }
}

/// What `run` runs: a version, a model (optionally pinned to a version), or a deployment.
public enum RunTarget: Sendable, Hashable, CustomStringConvertible {
    /// A bare 64-hex version id.
    case version(String)
    /// `owner/name` (official models: latest) or `owner/name:version`.
    case model(owner: String, name: String, version: String?)
    /// A deployment `owner/name`.
    case deployment(owner: String, name: String)

    /// Parses `owner/name`, `owner/name:<64 hex>` or a bare `<64 hex>` version id.
    /// (A deployment has the same `owner/name` shape, so it is named with `.deployment`.)
    public init(_ reference: String) throws {
        let ref = reference.trimmingCharacters(in: .whitespaces)
        if RunTarget.isVersionID(ref) { self = .version(ref); return }
        var modelPart = Substring(ref)
        var version: String?
        if let colon = ref.firstIndex(of: ":") {
            modelPart = ref[..<colon]
            let v = String(ref[ref.index(after: colon)...])
            guard !v.isEmpty else { throw ReplicateError.validation("model reference '\(reference)' has an empty version after ':'") }
            version = v
        }
        let parts = modelPart.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, !parts.contains(where: { $0.contains(" ") }) else {
            throw ReplicateError.validation(
                "'\(reference)' is not a model reference; expected owner/name, owner/name:version or a 64-character version id")
        }
        self = .model(owner: String(parts[0]), name: String(parts[1]), version: version)
    }

    /// A deployment given as `owner/name`.
    public static func deployment(_ reference: String) throws -> RunTarget {
        let parts = reference.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw ReplicateError.validation("'\(reference)' is not a deployment; expected owner/name")
        }
        return .deployment(owner: String(parts[0]), name: String(parts[1]))
    }

    static func isVersionID(_ s: String) -> Bool {
        s.count == 64 && s.allSatisfy { $0.isHexDigit && $0.isASCII }
    }

    public var description: String {
        switch self {
        case .version(let v): return v
        case .model(let o, let n, let v): return v.map { "\(o)/\(n):\($0)" } ?? "\(o)/\(n)"
        case .deployment(let o, let n): return "deployment \(o)/\(n)"
        }
    }
}

extension ReplicateClient {
    /// Predictions: create, get, list, cancel.
    public var predictions: Predictions { Predictions(client: self) }

    /// Creates a prediction for `target` and returns it as created (possibly already finished
    /// when `options.wait` is set).
    public func createPrediction(_ target: RunTarget, input: [String: JSONValue], options: PredictionOptions = .init()) async throws -> Prediction {
        switch target {
        case .version(let v): return try await predictions.create(version: v, input: input, options: options)
        case .model(let owner, let name, nil): return try await predictions.create(model: "\(owner)/\(name)", input: input, options: options)
        case .model(_, _, let version?): return try await predictions.create(version: version, input: input, options: options)
        case .deployment(let owner, let name): return try await deployments.createPrediction(deployment: "\(owner)/\(name)", input: input, options: options)
        }
    }

    /// Polls a prediction until it reaches a terminal status (`succeeded`, `failed`,
    /// `canceled`, `aborted`) and returns it, whatever that status is. While more than
    /// `PredictionBoard.shareFrom` waits of this client are in progress, they share one poller
    /// that lists recent predictions (a page answers for a hundred) instead of each polling.
    ///
    /// - Parameters:
    ///   - timeout: overall limit; a `.timeout` error carries the last prediction seen.
    ///   - pollInterval: first delay between polls; it grows ×1.5 up to `maxPollInterval`.
    ///   - cancelOnTaskCancellation: when the calling task is cancelled, also cancel the
    ///     prediction on the server (so it stops costing money) before rethrowing.
    ///   - onUpdate: called with each prediction fetched while waiting (for progress displays).
    public func wait(
        for prediction: Prediction, timeout: TimeInterval = 1800, pollInterval: TimeInterval = 0.5,
        maxPollInterval: TimeInterval = 5, cancelOnTaskCancellation: Bool = true,
        onUpdate: (@Sendable (Prediction) -> Void)? = nil
    ) async throws -> Prediction {
        guard !prediction.status.isTerminal else { return prediction }
        let board = transport.board
        board.begin()
        defer { board.end() }
        let id = prediction.id
        var current = prediction
        let deadline = Date().addingTimeInterval(timeout)
        var interval = pollInterval
        do {
            while !current.status.isTerminal {
                // Many waits at once share one poller that lists instead of polling each; a
                // wait moves over as soon as there are that many.
                if board.isShared {
                    return try await board.wait(for: current, until: deadline, timeout: timeout, client: self, onUpdate: onUpdate)
                }
                let remaining = deadline.timeIntervalSinceNow
                guard remaining > 0 else { throw PredictionBoard.timedOut(current, after: timeout) }
                try await Task.sleep(nanoseconds: RetryEngine.nanoseconds(min(interval, remaining)))
                interval = min(maxPollInterval, interval * 1.5)
                current = try await predictions.get(id)
                onUpdate?(current)
            }
            return current
        } catch {
            if Task.isCancelled, cancelOnTaskCancellation {
                // A fresh task: the cancelled one would cancel this request too.
                _ = try? await Task { try await self.predictions.cancel(id) }.value
            }
            throw error
        }
    }

    /// Polls a training until it reaches a terminal status; see `wait(for:…)` for predictions.
    public func wait(
        for training: Training, timeout: TimeInterval = 7200, pollInterval: TimeInterval = 1,
        maxPollInterval: TimeInterval = 10, cancelOnTaskCancellation: Bool = false
    ) async throws -> Training {
        try await poll(
            training, kind: "training",
            timing: (timeout, pollInterval, maxPollInterval), cancelOnTaskCancellation: cancelOnTaskCancellation,
            fetch: { try await self.trainings.get($0) }, cancel: { _ = try await self.trainings.cancel($0) })
    }

    private func poll<T: RunRecord>(
        _ initial: T, kind: String,
        timing: (timeout: TimeInterval, first: TimeInterval, max: TimeInterval), cancelOnTaskCancellation: Bool,
        fetch: (String) async throws -> T, cancel: @escaping @Sendable (String) async throws -> Void
    ) async throws -> T {
        let id = initial.id
        var current = initial
        let deadline = Date().addingTimeInterval(timing.timeout)
        var interval = timing.first
        do {
            while !current.status.isTerminal {
                let remaining = deadline.timeIntervalSinceNow
                guard remaining > 0 else {
                    throw ReplicateError(
                        kind: .timeout, message: "\(kind) \(id) still \(current.status) after \(Int(timing.timeout)) s",
                        prediction: current.raw, operation: "wait")
                }
                try await Task.sleep(nanoseconds: UInt64(min(interval, remaining) * 1_000_000_000))
                interval = min(timing.max, interval * 1.5)
                current = try await fetch(id)
            }
            return current
        } catch {
            if Task.isCancelled, cancelOnTaskCancellation {
                // A fresh task: the cancelled one would cancel this request too.
                _ = try? await Task { try await cancel(id) }.value
            }
            throw error
        }
    }

    /// Runs a model and returns its output.
    ///
    /// Creates the prediction, waits for it (polling, or sync mode with `options.wait`) and
    /// returns `output` if it succeeded. A failed, canceled or aborted prediction throws a
    /// `.model` error whose `prediction` is the full prediction JSON.
    public func run(
        _ target: RunTarget, input: [String: JSONValue], options: PredictionOptions = .init(), timeout: TimeInterval = 1800
    ) async throws -> JSONValue {
        let created = try await createPrediction(target, input: input, options: options)
        let done = try await wait(for: created, timeout: timeout)
        guard done.status == .succeeded else { throw ReplicateError.model(done.raw, operation: "run") }
        return done.output ?? .null
    }

    /// Runs `owner/name`, `owner/name:version` or a 64-hex version id; see `run(_:input:options:timeout:)`.
    public func run(
        _ reference: String, input: [String: JSONValue], options: PredictionOptions = .init(), timeout: TimeInterval = 1800
    ) async throws -> JSONValue {
        try await run(RunTarget(reference), input: input, options: options, timeout: timeout)
    }
}

/// The predictions resource.
public struct Predictions: Sendable {
    let client: ReplicateClient

    /// `POST /predictions` with a version (`<64 hex>`, `owner/name:<64 hex>` or an official `owner/name`).
    public func create(version: String, input: [String: JSONValue], options: PredictionOptions = .init()) async throws -> Prediction {
        var args = options.arguments(input: input)
        args["version"] = .string(version)
        return try await client.call("create_prediction", args, as: Prediction.self)
    }

    /// `POST /models/{owner}/{name}/predictions` for an official model.
    public func create(model: String, input: [String: JSONValue], options: PredictionOptions = .init()) async throws -> Prediction {
        let (owner, name) = try splitOwnerName(model, what: "model")
        var args = options.arguments(input: input)
        args["model_owner"] = .string(owner)
        args["model_name"] = .string(name)
        return try await client.call("create_model_prediction", args, as: Prediction.self)
    }

    /// `GET /predictions/{id}`.
    public func get(_ id: String) async throws -> Prediction {
        try await client.call("get_prediction", ["prediction_id": .string(id)], as: Prediction.self)
    }

    /// `POST /predictions/{id}/cancel`.
    @discardableResult
    public func cancel(_ id: String) async throws -> Prediction {
        try await client.call("cancel_prediction", ["prediction_id": .string(id)], as: Prediction.self)
    }

    /// `GET /predictions`: the first page; follow with `client.nextPage(of:)` or use `all`.
    public func list(createdAfter: String? = nil, createdBefore: String? = nil, source: String? = nil) async throws -> Page<Prediction> {
        try await client.call("list_predictions", listArguments(createdAfter, createdBefore, source), as: Page<Prediction>.self)
    }

    /// Every prediction, page after page.
    public func all(createdAfter: String? = nil, createdBefore: String? = nil, source: String? = nil) -> PageSequence<Prediction> {
        client.paginate("list_predictions", arguments: listArguments(createdAfter, createdBefore, source))
    }

    private func listArguments(_ after: String?, _ before: String?, _ source: String?) -> [String: JSONValue] {
        var args: [String: JSONValue] = [:]
        if let after { args["created_after"] = .string(after) }
        if let before { args["created_before"] = .string(before) }
        if let source { args["source"] = .string(source) }
        return args
    }
}

/// Splits `owner/name`, throwing a validation error naming `what` otherwise.
func splitOwnerName(_ s: String, what: String) throws -> (String, String) {
    let parts = s.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
        throw ReplicateError.validation("'\(s)' is not a \(what) name; expected owner/name")
    }
    return (String(parts[0]), String(parts[1]))
}
