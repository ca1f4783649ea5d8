import Foundation

/// A deployment: a named, scalable endpoint for one model version.
public struct Deployment: ReplicateObject {
    /// The deployment's live configuration.
    public struct Release: ReplicateObject {
        public let number: Int64?
        public let model: String?
        public let version: String?
        public let createdAt: String?
        public let createdBy: Account?
        public let hardware: String?
        public let minInstances: Int64?
        public let maxInstances: Int64?
        public let raw: JSONValue

        public init(json: JSONValue) throws {
            let r = try FieldReader(json, as: "Deployment.current_release")
            number = try r.optInt("number")
            model = try r.optString("model")
            version = try r.optString("version")
            createdAt = try r.optString("created_at")
            createdBy = try r.optObject("created_by", as: Account.self)
            let c = try FieldReader(r.value("configuration") ?? .object([:]), as: "Deployment.current_release.configuration")
            hardware = try c.optString("hardware")
            minInstances = try c.optInt("min_instances")
            maxInstances = try c.optInt("max_instances")
            raw = json
        }

        public func toJSON() -> JSONValue {
            var w = FieldWriter(raw: raw)
            w.set("number", number)
            w.set("model", model)
            w.set("version", version)
            w.set("created_at", createdAt)
            w.set("created_by", createdBy)
            if let config = raw["configuration"], !config.isNull {
                var c = FieldWriter(raw: config)
                c.set("hardware", hardware)
                c.set("min_instances", minInstances)
                c.set("max_instances", maxInstances)
                w.set("configuration", c.json)
            }
            return w.json
        }
    }

    public let owner: String
    public let name: String
    public let currentRelease: Release?
    public let raw: JSONValue

    public init(json: JSONValue) throws {
        let r = try FieldReader(json, as: "Deployment")
        owner = try r.string("owner")
        name = try r.string("name")
        currentRelease = try r.optObject("current_release", as: Release.self)
        raw = json
    }

    public func toJSON() -> JSONValue {
        var w = FieldWriter(raw: raw)
        w.set("owner", owner)
        w.set("name", name)
        w.set("current_release", currentRelease)
        return w.json
    }
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
