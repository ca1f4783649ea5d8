import Foundation

/// A training: a prediction-like job that produces a new model version at `destination`.
public struct Training: ReplicateObject {
    public let id: String
    public let model: String?
    public let version: String?
    public let status: PredictionStatus
    public let input: JSONValue?
    /// On success `{version, weights}`.
    public let output: JSONValue?
    public let logs: String?
    public let error: JSONValue?
    public let source: String?
    public let destination: String?
    public let createdAt: String?
    public let startedAt: String?
    public let completedAt: String?
    public let metrics: [String: JSONValue]?
    public let urls: PredictionURLs?
    public let webhook: String?
    public let webhookEventsFilter: [String]?
    public let webhookCompleted: JSONValue?
    public let raw: JSONValue

    public init(json: JSONValue) throws {
        let r = try FieldReader(json, as: "Training")
        id = try r.string("id")
        model = try r.optString("model")
        version = try r.optString("version")
        status = PredictionStatus(rawValue: try r.string("status"))
        input = r.value("input")
        output = r.value("output")
        logs = try r.optString("logs")
        error = r.value("error")
        source = try r.optString("source")
        destination = try r.optString("destination")
        createdAt = try r.optString("created_at")
        startedAt = try r.optString("started_at")
        completedAt = try r.optString("completed_at")
        metrics = r.value("metrics")?.objectValue
        urls = try r.optObject("urls", as: PredictionURLs.self)
        webhook = try r.optString("webhook")
        webhookEventsFilter = try r.optStringArray("webhook_events_filter")
        webhookCompleted = r.value("webhook_completed")
        raw = json
    }

    public func toJSON() -> JSONValue {
        var w = FieldWriter(raw: raw)
        w.set("id", id)
        w.set("model", model)
        w.set("version", version)
        w.set("status", status.rawValue)
        w.set("input", input)
        w.set("output", output)
        w.set("logs", logs)
        w.set("error", error)
        w.set("source", source)
        w.set("destination", destination)
        w.set("created_at", createdAt)
        w.set("started_at", startedAt)
        w.set("completed_at", completedAt)
        w.set("metrics", metrics.map(JSONValue.object))
        w.set("urls", urls)
        w.set("webhook", webhook)
        w.set("webhook_events_filter", webhookEventsFilter)
        w.set("webhook_completed", webhookCompleted)
        return w.json
    }
}

extension ReplicateClient {
    /// Trainings: create, get, list, cancel.
    public var trainings: Trainings { Trainings(client: self) }
}

/// The trainings resource.
public struct Trainings: Sendable {
    let client: ReplicateClient

    /// `POST /models/{owner}/{name}/versions/{version}/trainings` training `model` (`owner/name`)
    /// at `version` into the model `destination` (`owner/name`).
    public func create(
        model: String, version: String, destination: String, input: [String: JSONValue],
        webhook: String? = nil, webhookEventsFilter: [String]? = nil
    ) async throws -> Training {
        var args = try ownerName(model)
        args["version_id"] = .string(version)
        args["destination"] = .string(destination)
        args["input"] = .object(input)
        args["webhook"] = webhook.map(JSONValue.string)
        args["webhook_events_filter"] = webhookEventsFilter.map { .array($0.map(JSONValue.string)) }
        return try await client.call("create_training", args, as: Training.self)
    }

    /// `GET /trainings/{id}`.
    public func get(_ id: String) async throws -> Training {
        try await client.call("get_training", ["training_id": .string(id)], as: Training.self)
    }

    /// `POST /trainings/{id}/cancel`.
    @discardableResult
    public func cancel(_ id: String) async throws -> Training {
        try await client.call("cancel_training", ["training_id": .string(id)], as: Training.self)
    }

    /// `GET /trainings`: the first page.
    public func list() async throws -> Page<Training> {
        try await client.call("list_trainings", as: Page<Training>.self)
    }

    /// Every training.
    public func all() -> PageSequence<Training> {
        client.paginate("list_trainings")
    }
}
