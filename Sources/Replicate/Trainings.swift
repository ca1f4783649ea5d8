import Foundation

// `Training` is generated from the spec, its fields shared with a prediction in `RunFields`
// (GeneratedObjects.swift).

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
