import Foundation

// `Deployment`, `Deployment.Release` and its `Configuration` are generated from the spec
// (GeneratedObjects.swift).

extension Deployment.Release {
    /// `configuration.hardware`: the SKU the release runs on.
    public var hardware: String? { configuration?.hardware }
    /// `configuration.min_instances`.
    public var minInstances: Int64? { configuration?.minInstances }
    /// `configuration.max_instances`.
    public var maxInstances: Int64? { configuration?.maxInstances }
}

extension ReplicateClient {
    /// Deployments: create, get, list, update, delete, and predictions on them.
    public var deployments: Deployments { Deployments(client: self) }
}

/// The deployments resource.
public struct Deployments: Sendable {
    let client: ReplicateClient

    private func args(_ deployment: String) throws -> [String: JSONValue] {
        let (owner, name) = try splitOwnerName(deployment, what: "deployment")
        return ["deployment_owner": .string(owner), "deployment_name": .string(name)]
    }

    /// `GET /deployments/{owner}/{name}` for `owner/name`.
    public func get(_ deployment: String) async throws -> Deployment {
        try await client.call("get_deployment", try args(deployment), as: Deployment.self)
    }

    /// `GET /deployments`: the first page.
    public func list() async throws -> Page<Deployment> {
        try await client.call("list_deployments", as: Page<Deployment>.self)
    }

    /// Every deployment.
    public func all() -> PageSequence<Deployment> {
        client.paginate("list_deployments")
    }

    /// `POST /deployments`.
    public func create(name: String, model: String, version: String, hardware: String, minInstances: Int, maxInstances: Int) async throws -> Deployment {
        try await client.call(
            "create_deployment",
            [
                "name": .string(name), "model": .string(model), "version": .string(version), "hardware": .string(hardware),
                "min_instances": .int(Int64(minInstances)), "max_instances": .int(Int64(maxInstances)),
            ], as: Deployment.self)
    }

    /// `PATCH /deployments/{owner}/{name}` with any of `hardware`, `min_instances`, `max_instances`, `version`.
    public func update(_ deployment: String, hardware: String? = nil, minInstances: Int? = nil, maxInstances: Int? = nil, version: String? = nil)
        async throws -> Deployment
    {
        var a = try args(deployment)
        a["hardware"] = hardware.map(JSONValue.string)
        a["min_instances"] = minInstances.map { .int(Int64($0)) }
        a["max_instances"] = maxInstances.map { .int(Int64($0)) }
        a["version"] = version.map(JSONValue.string)
        return try await client.call("update_deployment", a, as: Deployment.self)
    }

    /// `DELETE /deployments/{owner}/{name}`.
    public func delete(_ deployment: String) async throws {
        _ = try await client.call("delete_deployment", try args(deployment))
    }

    /// `POST /deployments/{owner}/{name}/predictions`.
    public func createPrediction(deployment: String, input: [String: JSONValue], options: PredictionOptions = .init()) async throws -> Prediction {
        let a = try args(deployment).merging(options.arguments(input: input)) { a, _ in a }
        return try await client.call("create_deployment_prediction", a, as: Prediction.self)
    }
}
