import Foundation

extension ReplicateClient {
    /// `GET /search` (beta): models, collections and docs pages matching `query`.
    /// The result is returned as JSON (`query`, `models`, `collections`, `pages`) because the
    /// beta shape changes; `search_models` (`client.models.search`) is the stable, typed search.
    public func search(_ query: String, limit: Int? = nil) async throws -> JSONValue {
        var args: [String: JSONValue] = ["query": .string(query)]
        if let limit { args["limit"] = .int(Int64(limit)) }
        return try await call("search", args)
    }
}
