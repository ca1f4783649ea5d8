import Foundation

// `Account` is generated from the spec (GeneratedObjects.swift).

extension ReplicateClient {
    /// `GET /account`: the account that owns the token.
    public func account() async throws -> Account {
        try await call("get_account", as: Account.self)
    }
}
