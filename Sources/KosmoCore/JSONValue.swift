import Foundation

/// A JSON document as a Swift value: what the API sends and what the Lua bridge converts.
///
/// Integers stay `.int` when the JSON number has no fraction or exponent and fits `Int64`,
/// so counts and seeds survive a round trip exactly; every other number is `.double`.
public enum JSONValue: Sendable, Hashable, Codable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The member `key` of an object; `nil` for a missing key or a non-object.
    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// The element at `index` of an array; `nil` when out of range or not an array.
    public subscript(index: Int) -> JSONValue? {
        if case .array(let items) = self, items.indices.contains(index) { return items[index] }
        return nil
    }

    /// Parses a complete JSON text (RFC 8259). A duplicated object key keeps its last value,
    /// as most parsers do (one recorded response repeats `"model"`).
    public init(parsing data: Data) throws(JSONError) {
        var parser = JSONParser(bytes: [UInt8](data))
        self = try parser.parseDocument()
    }

    /// Parses a complete JSON text given as a string.
    public init(parsing text: String) throws(JSONError) {
        var parser = JSONParser(bytes: Array(text.utf8))
        self = try parser.parseDocument()
    }

    /// Serialises to compact JSON with sorted keys (stable output for logs and tests), written
    /// by the rules every writer shares (`JSONText`). NaN and infinities have no JSON form and
    /// are rejected, naming the member (`(at .a[2])`).
    public func encoded() throws(JSONError) -> Data {
        Data(try encodedBytes())
    }

    /// `encoded()` as bytes.
    public func encodedBytes() throws(JSONError) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(256)
        try JSONValue.write(self, into: &out)
        return out
    }

    /// The compact JSON text of this value.
    public func encodedString() throws(JSONError) -> String {
        String(decoding: try encodedBytes(), as: UTF8.self)
    }

    // MARK: Accessors

    public var isNull: Bool { if case .null = self { return true } else { return false } }
    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    public var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    public var intValue: Int64? {
        switch self {
        case .int(let i): return i
        case .double(let d) where d.rounded() == d && abs(d) < 9.2e18: return Int64(d)
        default: return nil
        }
    }
    public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }
    public var objectValue: [String: JSONValue]? { if case .object(let o) = self { return o } else { return nil } }

    /// The JSON Schema type name of this value (`integer` for `.int`, `number` for `.double`).
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .int: return "integer"
        case .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    // MARK: Codable

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let b = try? container.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? container.decode(Int64.self) {
            self = .int(i)
        } else if let d = try? container.decode(Double.self) {
            self = .double(d)
        } else if let s = try? container.decode(String.self) {
            self = .string(s)
        } else if let a = try? container.decode([JSONValue].self) {
            self = .array(a)
        } else if let o = try? container.decode([String: JSONValue].self) {
            self = .object(o)
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a JSON value")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let b): try container.encode(b)
        case .int(let i): try container.encode(i)
        case .double(let d):
            guard d.isFinite else {
                throw EncodingError.invalidValue(d, .init(codingPath: encoder.codingPath, debugDescription: JSONError.Problem.notFinite(d).text))
            }
            try container.encode(d)
        case .string(let s): try container.encode(s)
        case .array(let a): try container.encode(a)
        case .object(let o): try container.encode(o)
        }
    }

    // MARK: Writer

    private static func write(_ value: JSONValue, into out: inout [UInt8]) throws(JSONError) {
        switch value {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: b ? "true".utf8 : "false".utf8)
        case .int(let i): JSONText.appendInteger(i, to: &out)
        case .double(let d):
            do throws(JSONError.Problem) { try JSONText.appendDouble(d, to: &out) } catch { throw JSONError(error) }
        case .string(let s): JSONText.appendString(s, to: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (n, item) in items.enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                // The path is made only on the way out of a failure, so writing costs nothing for it.
                do throws(JSONError) { try write(item, into: &out) } catch { throw error.inside("[\(n + 1)]") }
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (n, key) in members.keys.sorted(by: JSONValue.keyOrder).enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                JSONText.appendString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                do throws(JSONError) { try write(members[key] ?? .null, into: &out) } catch { throw error.inside("." + key) }
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Keys are written in the order of their UTF-8 bytes, as `json.encode` writes a table's.
    static func keyOrder(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }
}

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        var members: [String: JSONValue] = [:]
        for (k, v) in elements { members[k] = v }
        self = .object(members)
    }
}

extension JSONValue: CustomStringConvertible {
    /// Compact JSON; values that cannot be encoded (NaN) print as Swift would.
    public var description: String {
        (try? encodedString()) ?? "<JSON containing NaN or infinity>"
    }
}
