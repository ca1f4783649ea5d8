import Foundation

/// A hardware SKU models and deployments can run on.
public struct Hardware: ReplicateObject {
    /// The SKU to pass as `hardware`, e.g. `gpu-t4`.
    public let sku: String
    /// Display name, e.g. `Nvidia T4 GPU`.
    public let name: String?
    public let raw: JSONValue

    public init(json: JSONValue) throws {
        let r = try FieldReader(json, as: "Hardware")
        sku = try r.string("sku")
        name = try r.optString("name")
        raw = json
    }

    public func toJSON() -> JSONValue {
        var w = FieldWriter(raw: raw)
        w.set("sku", sku)
        w.set("name", name)
        return w.json
    }
}

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
