import Foundation

// `ModelCollection` is generated from the spec (GeneratedObjects.swift).

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
