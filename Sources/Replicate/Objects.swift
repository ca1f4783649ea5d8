import Foundation

/// A typed API object that keeps the JSON it came from.
///
/// Typed properties cover every field the API is known to send; fields added later survive in
/// `raw` and in `toJSON()`, so decoding and re-encoding never drops data. The API's object types
/// are generated from its OpenAPI description (GeneratedObjects.swift, by scripts/generate_api.py
/// over reference/); they read and write their fields with `FieldReader` and `FieldWriter` below.
public protocol ReplicateObject: Sendable, Codable {
    /// Decodes from a JSON value; throws a `.validation` error naming the bad field.
    init(json: JSONValue) throws
    /// The JSON this object was decoded from.
    var raw: JSONValue { get }
    /// The typed fields written over `raw`: the same JSON object for a decoded value.
    func toJSON() -> JSONValue
}

extension ReplicateObject {
    public init(from decoder: Decoder) throws {
        try self.init(json: JSONValue(from: decoder))
    }

    public func encode(to encoder: Encoder) throws {
        try toJSON().encode(to: encoder)
    }
}

/// Reads typed fields out of a JSON object, naming the object and field in any error.
struct FieldReader {
    let object: [String: JSONValue]
    let typeName: String

    init(_ json: JSONValue, as typeName: String) throws {
        guard case .object(let members) = json else {
            throw ReplicateError.validation("expected a JSON object for \(typeName), got \(json.typeName)")
        }
        self.object = members
        self.typeName = typeName
    }

    private func mismatch(_ key: String, _ expected: String, _ got: JSONValue) -> ReplicateError {
        .validation("\(typeName).\(key): expected \(expected), got \(got.typeName)")
    }

    /// The value of `key`, or nil when missing or null.
    func value(_ key: String) -> JSONValue? {
        guard let v = object[key], !v.isNull else { return nil }
        return v
    }

    func string(_ key: String) throws -> String {
        guard let v = try optString(key) else { throw ReplicateError.validation("\(typeName).\(key) is missing") }
        return v
    }

    /// The value of `key` as `convert` reads it, or nil when missing or null; a value of
    /// another type is an error naming the field and the `expected` type. The readers below
    /// all check a value's type here, so they report a mismatch the same way.
    private func typed<T>(_ key: String, _ expected: String, _ convert: (JSONValue) -> T?) throws -> T? {
        guard let v = value(key) else { return nil }
        guard let typed = convert(v) else { throw mismatch(key, expected, v) }
        return typed
    }

    func optString(_ key: String) throws -> String? { try typed(key, "a string", \.stringValue) }

    /// Only an integer literal: a fractional number is a mismatch, not a rounded value.
    func optInt(_ key: String) throws -> Int64? {
        try typed(key, "an integer") { if case .int(let i) = $0 { i } else { nil } }
    }

    func optDouble(_ key: String) throws -> Double? { try typed(key, "a number", \.doubleValue) }

    func optBool(_ key: String) throws -> Bool? { try typed(key, "a boolean", \.boolValue) }

    func optStringArray(_ key: String) throws -> [String]? {
        try typed(key, "an array", \.arrayValue)?.map { item in
            guard let s = item.stringValue else { throw mismatch(key, "an array of strings", item) }
            return s
        }
    }

    func optStringMap(_ key: String) throws -> [String: String]? {
        guard let members = try typed(key, "an object", \.objectValue) else { return nil }
        var out: [String: String] = [:]
        for (k, item) in members {
            guard let s = item.stringValue else { throw mismatch("\(key).\(k)", "a string", item) }
            out[k] = s
        }
        return out
    }

    func optObject<T: ReplicateObject>(_ key: String, as: T.Type) throws -> T? {
        guard let v = value(key) else { return nil }
        return try T(json: v)
    }

    func optArray<T: ReplicateObject>(_ key: String, of: T.Type) throws -> [T]? {
        try typed(key, "an array", \.arrayValue)?.map { try T(json: $0) }
    }
}

/// Writes typed fields back over the raw object. A nil typed value stays as it was sent:
/// `null` if the key was present, absent if it was not.
struct FieldWriter {
    var object: [String: JSONValue]

    init(raw: JSONValue) {
        object = raw.objectValue ?? [:]
    }

    mutating func set(_ key: String, _ value: JSONValue?) {
        if let value {
            object[key] = value
        } else if object[key] != nil {
            object[key] = .null
        }
    }

    mutating func set(_ key: String, _ value: String?) { set(key, value.map(JSONValue.string)) }
    mutating func set(_ key: String, _ value: Int64?) { set(key, value.map(JSONValue.int)) }
    mutating func set(_ key: String, _ value: Bool?) { set(key, value.map(JSONValue.bool)) }
    mutating func set(_ key: String, _ value: [String]?) { set(key, value.map { JSONValue.array($0.map(JSONValue.string)) }) }
    mutating func set(_ key: String, _ value: [String: String]?) {
        set(key, value.map { JSONValue.object($0.mapValues(JSONValue.string)) })
    }
    mutating func set<T: ReplicateObject>(_ key: String, _ value: T?) { set(key, value?.toJSON()) }
    mutating func set<T: ReplicateObject>(_ key: String, _ value: [T]?) { set(key, value.map { JSONValue.array($0.map { $0.toJSON() }) }) }

    /// A double that the API sent as an integer is written back as that integer.
    mutating func setNumber(_ key: String, _ value: Double?) {
        guard let value else { set(key, JSONValue?.none); return }
        if case .int(let i) = object[key], Double(i) == value { return }
        set(key, JSONValue.double(value))
    }

    var json: JSONValue { .object(object) }
}

/// A cursor page of results (`next`, `previous`, `results`).
public struct Page<T: ReplicateObject>: ReplicateObject {
    /// URL of the next page, if any.
    public let next: String?
    /// URL of the previous page, if any.
    public let previous: String?
    public let results: [T]
    public let raw: JSONValue

    public init(json: JSONValue) throws {
        let r = try FieldReader(json, as: "Page")
        next = try r.optString("next")
        previous = try r.optString("previous")
        results = try r.optArray("results", of: T.self) ?? []
        raw = json
    }

    public func toJSON() -> JSONValue {
        var w = FieldWriter(raw: raw)
        w.set("next", next)
        w.set("previous", previous)
        if raw["results"] != nil || !results.isEmpty { w.set("results", results) }
        return w.json
    }
}

/// Any JSON object as a `ReplicateObject`, for untyped pages (search results, examples).
public struct RawObject: ReplicateObject {
    public let raw: JSONValue
    public init(json: JSONValue) throws { raw = json }
    public func toJSON() -> JSONValue { raw }
}
