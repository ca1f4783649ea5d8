import Foundation

/// A curated collection of models. In a listing `models` is absent. (Not named `Collection`:
/// that would shadow `Swift.Collection` in every file importing this module.)
public struct ModelCollection: ReplicateObject {
    public let name: String
    public let slug: String
    public let description: String?
    public let fullDescription: String?
    public let models: [Model]?
    public let raw: JSONValue

    public init(json: JSONValue) throws {
        let r = try FieldReader(json, as: "ModelCollection")
        name = try r.string("name")
        slug = try r.string("slug")
        description = try r.optString("description")
        fullDescription = try r.optString("full_description")
        models = try r.optArray("models", of: Model.self)
        raw = json
    }

    public func toJSON() -> JSONValue {
        var w = FieldWriter(raw: raw)
        w.set("name", name)
        w.set("slug", slug)
        w.set("description", description)
        w.set("full_description", fullDescription)
        w.set("models", models)
        return w.json
    }
}

extension ReplicateClient {
    /// Collections of models.
    public var collections: Collections { Collections(client: self) }
}

/// The collections resource.
public struct Collections: Sendable {
    let client: ReplicateClient

    /// `GET /collections/{slug}` with its models.
    public func get(_ slug: String) async throws -> ModelCollection {
        try await client.call("get_collection", ["collection_slug": .string(slug)], as: ModelCollection.self)
    }

    /// `GET /collections`: the first page.
    public func list() async throws -> Page<ModelCollection> {
        try await client.call("list_collections", as: Page<ModelCollection>.self)
    }

    /// Every collection.
    public func all() -> PageSequence<ModelCollection> {
        client.paginate("list_collections")
    }
}
