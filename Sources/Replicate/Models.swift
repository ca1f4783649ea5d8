import Foundation

// `Model` and `ModelVersion` are generated from the spec (GeneratedObjects.swift).

extension Model {
    /// `owner/name`.
    public var fullName: String { "\(owner)/\(name)" }
}

extension ReplicateClient {
    /// Models and their versions, examples and READMEs.
    public var models: Models { Models(client: self) }
}

/// The models resource.
public struct Models: Sendable {
    let client: ReplicateClient

    /// Versions of a model.
    public var versions: ModelVersions { ModelVersions(client: client) }

    /// `GET /models/{owner}/{name}` for `owner/name`.
    public func get(_ model: String) async throws -> Model {
        try await client.call("get_model", try ownerName(model), as: Model.self)
    }

    /// `GET /models`: the first page of public models.
    public func list(sortBy: String? = nil, sortDirection: String? = nil) async throws -> Page<Model> {
        try await client.call("list_models", sortArguments(sortBy, sortDirection), as: Page<Model>.self)
    }

    /// Every public model.
    public func all(sortBy: String? = nil, sortDirection: String? = nil) -> PageSequence<Model> {
        client.paginate("list_models", arguments: sortArguments(sortBy, sortDirection))
    }

    /// `POST /models`. `visibility` is `public` or `private`; `hardware` a SKU from `client.hardware.list()`.
    public func create(
        owner: String, name: String, visibility: String, hardware: String, description: String? = nil,
        githubURL: String? = nil, paperURL: String? = nil, licenseURL: String? = nil, coverImageURL: String? = nil
    ) async throws -> Model {
        var args: [String: JSONValue] = [
            "owner": .string(owner), "name": .string(name), "visibility": .string(visibility), "hardware": .string(hardware),
        ]
        args["description"] = description.map(JSONValue.string)
        args["github_url"] = githubURL.map(JSONValue.string)
        args["paper_url"] = paperURL.map(JSONValue.string)
        args["license_url"] = licenseURL.map(JSONValue.string)
        args["cover_image_url"] = coverImageURL.map(JSONValue.string)
        return try await client.call("create_model", args, as: Model.self)
    }

    /// `PATCH /models/{owner}/{name}` with any of `description`, `github_url`, `license_url`,
    /// `paper_url`, `readme`, `weights_url`.
    public func update(_ model: String, fields: [String: JSONValue]) async throws -> Model {
        try await client.call("update_model", try ownerName(model).merging(fields) { a, _ in a }, as: Model.self)
    }

    /// `DELETE /models/{owner}/{name}` (only private models without versions).
    public func delete(_ model: String) async throws {
        _ = try await client.call("delete_model", try ownerName(model))
    }

    /// `GET /models/{owner}/{name}/readme`: the README as markdown.
    public func readme(_ model: String) async throws -> String {
        let body = try await client.call("get_model_readme", try ownerName(model))
        return body.stringValue ?? body.description
    }

    /// `GET /models/{owner}/{name}/examples`: example predictions, page after page.
    public func examples(_ model: String) throws -> PageSequence<Prediction> {
        client.paginate("list_model_examples", arguments: try ownerName(model))
    }

    /// `QUERY /models` with a text body: public models matching `query`, page after page.
    public func search(_ query: String) -> PageSequence<Model> {
        client.paginate("search_models", arguments: ["query": .string(query)])
    }

    /// `QUERY /models`: the first page of matches.
    public func searchPage(_ query: String) async throws -> Page<Model> {
        try await client.call("search_models", ["query": .string(query)], as: Page<Model>.self)
    }

    private func sortArguments(_ by: String?, _ direction: String?) -> [String: JSONValue] {
        var args: [String: JSONValue] = [:]
        args["sort_by"] = by.map(JSONValue.string)
        args["sort_direction"] = direction.map(JSONValue.string)
        return args
    }
}

/// The versions of models.
public struct ModelVersions: Sendable {
    let client: ReplicateClient

    /// `GET /models/{owner}/{name}/versions/{id}`.
    public func get(_ model: String, id: String) async throws -> ModelVersion {
        var args = try ownerName(model)
        args["version_id"] = .string(id)
        return try await client.call("get_model_version", args, as: ModelVersion.self)
    }

    /// `GET /models/{owner}/{name}/versions`: the first page, newest first.
    public func list(_ model: String) async throws -> Page<ModelVersion> {
        try await client.call("list_model_versions", try ownerName(model), as: Page<ModelVersion>.self)
    }

    /// Every version of a model.
    public func all(_ model: String) throws -> PageSequence<ModelVersion> {
        client.paginate("list_model_versions", arguments: try ownerName(model))
    }

    /// `DELETE /models/{owner}/{name}/versions/{id}`.
    public func delete(_ model: String, id: String) async throws {
        var args = try ownerName(model)
        args["version_id"] = .string(id)
        _ = try await client.call("delete_model_version", args)
    }
}

/// `owner/name` → `model_owner`, `model_name` arguments.
func ownerName(_ model: String) throws -> [String: JSONValue] {
    let (owner, name) = try splitOwnerName(model, what: "model")
    return ["model_owner": .string(owner), "model_name": .string(name)]
}
