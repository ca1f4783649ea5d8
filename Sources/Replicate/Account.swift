import Foundation

/// A user or organization account.
public struct Account: ReplicateObject {
    /// `user` or `organization`.
    public let type: String?
    public let username: String
    public let name: String?
    public let githubURL: String?
    public let avatarURL: String?
    public let raw: JSONValue

    public init(json: JSONValue) throws {
        let r = try FieldReader(json, as: "Account")
        type = try r.optString("type")
        username = try r.string("username")
        name = try r.optString("name")
        githubURL = try r.optString("github_url")
        avatarURL = try r.optString("avatar_url")
        raw = json
    }

    public func toJSON() -> JSONValue {
        var w = FieldWriter(raw: raw)
        w.set("type", type)
        w.set("username", username)
        w.set("name", name)
        w.set("github_url", githubURL)
        w.set("avatar_url", avatarURL)
        return w.json
    }
}

extension ReplicateClient {
    /// `GET /account`: the account that owns the token.
    public func account() async throws -> Account {
        try await call("get_account", as: Account.self)
    }
}
