import Foundation

// `Hardware` is generated from the spec (GeneratedObjects.swift).

extension ReplicateClient {
    /// `GET /hardware`: every SKU (a plain array, not a page).
    public func hardware() async throws -> [Hardware] {
        let body = try await call("list_hardware")
        guard let items = body.arrayValue else {
            throw ReplicateError.validation("list_hardware returned \(body.typeName), expected an array", operation: "list_hardware")
        }
        return try items.map(Hardware.init(json:))
    }
}
