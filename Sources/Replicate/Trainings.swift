import Foundation

/// A training: a prediction-like job that produces a new model version at `destination`. The
/// fields it shares with a prediction are in `runFields` and read through `RunRecord`.
public struct Training: RunRecord {
    public let runFields: RunFields
    /// The model (`owner/name`) that receives the new version.
    public let destination: String?
    public let raw: JSONValue

    public init(json: JSONValue) throws {
        let r = try FieldReader(json, as: "Training")
        runFields = try RunFields(r)
        destination = try r.optString("destination")
        raw = json
    }

    public func toJSON() -> JSONValue {
        var w = FieldWriter(raw: raw)
        runFields.write(into: &w)
        w.set("destination", destination)
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
