import Foundation

/// Whether an operation only reads or also changes state (the permission policy's classes).
public enum Access: String, Sendable {
    case read, write
}

/// One parameter of an operation: in the path, the query, a header, or a body field.
public struct ParameterSpec: Sendable, Hashable {
    /// Where the parameter goes on the wire.
    public enum Location: String, Sendable, Hashable {
        case path, query, header, body
    }

    /// The name as the API spells it (`model_owner`, `Prefer`, `input`).
    public let name: String
    public let location: Location
    public let required: Bool
    /// JSON Schema type: `string`, `integer`, `number`, `boolean`, `object` or `array`.
    public let type: String
    /// The spec's description (markdown).
    public let description: String

    public init(name: String, location: Location, required: Bool, type: String, description: String) {
        self.name = name
        self.location = location
        self.required = required
        self.type = type
        self.description = description
    }
}

/// The request body of an operation.
public struct BodySpec: Sendable, Hashable {
    /// `application/json`, `multipart/form-data` or `text/plain`.
    public let contentType: String
    /// The body's fields (location `.body`). For `text/plain` a single `query` field.
    public let fields: [ParameterSpec]

    public init(contentType: String, fields: [ParameterSpec]) {
        self.contentType = contentType
        self.fields = fields
    }
}

/// One operation of Replicate's HTTP API: a row of the catalog.
public struct OperationSpec: Sendable, Hashable {
    /// Lua-facing name, e.g. `get_model`.
    public let name: String
    /// Long alias used by agent hosts, e.g. `replicate_get_model`.
    public let alias: String
    public let access: Access
    /// `GET`, `POST`, `PATCH`, `DELETE` or `QUERY`.
    public let method: String
    /// Path template under the API base, e.g. `/models/{model_owner}/{model_name}`.
    public let path: String
    public let operationId: String
    /// One-line summary from the OpenAPI spec.
    public let summary: String
    /// Path, query and header parameters in the spec's order.
    public let parameters: [ParameterSpec]
    public let body: BodySpec?
    /// Whether the response is a cursor page (`next`, `previous`, `results`).
    public let paginated: Bool
    /// What the function returns, in words for its help (its type and the object's fields).
    public let returns: String

    public init(
        name: String, alias: String, access: Access, method: String, path: String, operationId: String,
        summary: String, parameters: [ParameterSpec], body: BodySpec?, paginated: Bool, returns: String = ""
    ) {
        self.returns = returns
        self.name = name
        self.alias = alias
        self.access = access
        self.method = method
        self.path = path
        self.operationId = operationId
        self.summary = summary
        self.parameters = parameters
        self.body = body
        self.paginated = paginated
    }

    /// What this operation creates that is billed per run, or nil: the one definition of a
    /// creating call. The spend guard (`--max-predictions`) counts every operation with one;
    /// those that create a prediction also take `wait` and `cancel_after` (the `Prefer` and
    /// `Cancel-After` headers), which the client, the docs and discovery offer.
    public var creates: CreatedRun? {
        switch operationId {
        case "predictions.create", "models.predictions.create", "deployments.predictions.create": return .prediction
        case "trainings.create": return .training
        default: return nil
        }
    }

    /// All argument names `ReplicateClient.perform` accepts for this operation.
    public var argumentNames: [String] {
        var names = parameters.map(\.name) + (body?.fields.map(\.name) ?? [])
        if creates == .prediction { names += ["wait", "cancel_after"] }
        return names
    }
}

/// What a creating operation starts: a run of a model, billed per run (`OperationSpec.creates`).
public enum CreatedRun: String, Sendable {
    case prediction, training
}

/// The 37 operations of the API, as data (see `CatalogData.swift`).
public enum Catalog {
    /// Every operation, sorted by name.
    public static let operations: [OperationSpec] = generatedOperations

    private static let byName: [String: OperationSpec] = {
        var map: [String: OperationSpec] = [:]
        for op in generatedOperations {
            map[op.name] = op
            map[op.alias] = op
            map[op.operationId] = op
        }
        return map
    }()

    /// Looks an operation up by its name (`get_model`), alias (`replicate_get_model`)
    /// or operationId (`models.get`).
    public static func operation(named name: String) -> OperationSpec? {
        byName[name]
    }

    /// Like `operation(named:)`, but throws a validation error that suggests the closest name.
    public static func require(_ name: String) throws -> OperationSpec {
        if let op = byName[name] { return op }
        var message = "unknown operation '\(name)'"
        if let best = closestName(to: name) { message += "; did you mean '\(best)'?" }
        throw ReplicateError.validation(message)
    }

    /// The catalog name nearest to `name` by edit distance, if reasonably near.
    public static func closestName(to name: String) -> String? {
        closest(to: name, among: operations.map(\.name))
    }

    /// The candidate nearest to `name` by edit distance (case-insensitive), if reasonably near.
    public static func closest(to name: String, among candidates: [String]) -> String? {
        var best: (String, Int)?
        for c in candidates {
            let d = editDistance(Array(name.lowercased()), Array(c.lowercased()))
            if let current = best, current.1 <= d { continue }
            best = (c, d)
        }
        guard let (bestName, distance) = best, distance <= max(3, name.count / 2) else { return nil }
        return bestName
    }

    private static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var prev = Array(0...b.count)
        for i in 1...a.count {
            var cur = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            prev = cur
        }
        return prev[b.count]
    }
}
