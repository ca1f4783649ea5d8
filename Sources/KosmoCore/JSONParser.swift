/// A strict recursive-descent JSON reader that builds `JSONValue` (RFC 8259). Hand-written
/// because Foundation's readers do not say whether `1.0` was written as an integer, and we must
/// keep that. Its tokens go through `JSONScan`, as the Lua host's reader's do.
public struct JSONParser {
    let bytes: [UInt8]
    /// False to check the text without building values (they come back as `.null`): the same
    /// grammar and errors at a fraction of the cost, for a caller that decodes the bytes itself.
    let building: Bool
    /// Checking only: the top-level object member whose string value to keep (`captured`).
    let capture: String?
    /// The top-level member `capture` names, when it was a string.
    public private(set) var captured: String?

    /// A reader of `bytes`; `building: false` checks them only, keeping the `capture` member.
    public init(bytes: [UInt8], building: Bool = true, capture: String? = nil) {
        self.bytes = bytes
        self.building = building
        self.capture = capture
    }

    /// Reads the whole text as one JSON value (a UTF-8 byte order mark is skipped). A duplicated
    /// object key keeps its last value, as most readers do.
    public mutating func parseDocument() throws(JSONError) -> JSONValue {
        let bytes = self.bytes
        let building = self.building
        let capture = self.capture.map { Array($0.utf8) }
        let (value, captured) = try bytes.withUnsafeBufferPointer { buffer throws(JSONError) -> (JSONValue, String?) in
            // An empty array may have no storage; any non-null pointer does for zero bytes.
            guard let base = buffer.baseAddress ?? UnsafePointer(bitPattern: 1) else { throw JSONError(.unexpectedEnd) }
            var reader = Reader(base: base, count: buffer.count, building: building, capture: capture)
            let value = try reader.document()
            return (value, reader.captured)
        }
        self.captured = captured
        return value
    }

    struct Reader {
        let base: UnsafePointer<UInt8>
        let count: Int
        let building: Bool
        let capture: [UInt8]?
        var captured: String?
        var pos = 0
        var depth = 0
        var scratch: [UInt8] = []

        init(base: UnsafePointer<UInt8>, count: Int, building: Bool, capture: [UInt8]?) {
            self.base = base; self.count = count; self.building = building; self.capture = capture
        }

        func fail(_ problem: JSONError.Problem) -> JSONError {
            JSONError(problem, at: pos, in: base, count: count)
        }

        mutating func document() throws(JSONError) -> JSONValue {
            pos = JSONScan.documentStart(base, count)
            JSONScan.skipWhitespace(base, count, &pos)
            let value = try self.value()
            JSONScan.skipWhitespace(base, count, &pos)
            guard pos == count else { throw fail(.trailingText) }
            return value
        }

        mutating func value() throws(JSONError) -> JSONValue {
            guard pos < count else { throw fail(.unexpectedEnd) }
            switch base[pos] {
            case UInt8(ascii: "{"): return try object()
            case UInt8(ascii: "["): return try array()
            default: break
            }
            do throws(JSONError.Problem) {
                switch base[pos] {
                case UInt8(ascii: "\""): return try string(keeping: building).map(JSONValue.string) ?? .null
                case UInt8(ascii: "t"): try JSONScan.literal("true", base, count, &pos); return .bool(true)
                case UInt8(ascii: "f"): try JSONScan.literal("false", base, count, &pos); return .bool(false)
                case UInt8(ascii: "n"): try JSONScan.literal("null", base, count, &pos); return .null
                case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    switch try JSONScan.number(base, count, &pos) {
                    case .integer(let i): return .int(i)
                    case .double(let d): return .double(d)
                    }
                default: throw .unexpectedCharacter(base[pos])
                }
            } catch {
                throw fail(error)
            }
        }

        /// The string at `pos`, checked; nil when not `keeping` it.
        mutating func string(keeping: Bool) throws(JSONError.Problem) -> String? {
            let bytes = try JSONScan.string(base, count, &pos, scratch: &scratch)
            guard keeping else { return nil }
            switch bytes {
            case .inPlace(let start, let n): return String(decoding: UnsafeBufferPointer(start: base + start, count: n), as: UTF8.self)
            case .unescaped: return String(decoding: scratch, as: UTF8.self)
            }
        }

        /// Whether the string at `pos` (a key) is `capture`, read without making a `String`.
        mutating func key(isCapture: Bool) throws(JSONError.Problem) -> (String?, Bool) {
            let bytes = try JSONScan.string(base, count, &pos, scratch: &scratch)
            var matches = false
            if isCapture, let capture {
                switch bytes {
                case .inPlace(let start, let n): matches = UnsafeBufferPointer(start: base + start, count: n).elementsEqual(capture)
                case .unescaped: matches = scratch == capture
                }
            }
            guard building else { return (nil, matches) }
            switch bytes {
            case .inPlace(let start, let n): return (String(decoding: UnsafeBufferPointer(start: base + start, count: n), as: UTF8.self), matches)
            case .unescaped: return (String(decoding: scratch, as: UTF8.self), matches)
            }
        }

        mutating func enter() throws(JSONError) {
            depth += 1
            guard depth <= JSONLimits.documentDepth else { throw fail(.nestedTooDeeply(limit: JSONLimits.documentDepth)) }
            pos += 1
        }

        mutating func object() throws(JSONError) -> JSONValue {
            try enter()
            defer { depth -= 1 }
            var members: [String: JSONValue] = [:]
            JSONScan.skipWhitespace(base, count, &pos)
            if pos < count, base[pos] == UInt8(ascii: "}") { pos += 1; return .object(members) }
            while true {
                JSONScan.skipWhitespace(base, count, &pos)
                guard pos < count, base[pos] == UInt8(ascii: "\"") else { throw fail(.expectedKey) }
                let (key, isCapture): (String?, Bool)
                do throws(JSONError.Problem) { (key, isCapture) = try self.key(isCapture: !building && depth == 1) } catch { throw fail(error) }
                JSONScan.skipWhitespace(base, count, &pos)
                guard pos < count, base[pos] == UInt8(ascii: ":") else { throw fail(.expectedColon) }
                pos += 1
                JSONScan.skipWhitespace(base, count, &pos)
                if let key {
                    members[key] = try value()
                } else if isCapture {
                    // The last of duplicated keys counts, as when building.
                    if pos < count, base[pos] == UInt8(ascii: "\"") {
                        do throws(JSONError.Problem) { captured = try string(keeping: true) } catch { throw fail(error) }
                    } else {
                        captured = nil
                        _ = try value()
                    }
                } else {
                    _ = try value()
                }
                JSONScan.skipWhitespace(base, count, &pos)
                guard pos < count else { throw fail(.unexpectedEndInObject) }
                if base[pos] == UInt8(ascii: ",") { pos += 1; continue }
                if base[pos] == UInt8(ascii: "}") { pos += 1; return .object(members) }
                throw fail(.expectedCommaOrBrace)
            }
        }

        mutating func array() throws(JSONError) -> JSONValue {
            try enter()
            defer { depth -= 1 }
            var items: [JSONValue] = []
            JSONScan.skipWhitespace(base, count, &pos)
            if pos < count, base[pos] == UInt8(ascii: "]") { pos += 1; return .array(items) }
            while true {
                JSONScan.skipWhitespace(base, count, &pos)
                let item = try value()
                if building { items.append(item) }
                JSONScan.skipWhitespace(base, count, &pos)
                guard pos < count else { throw fail(.unexpectedEndInArray) }
                if base[pos] == UInt8(ascii: ",") { pos += 1; continue }
                if base[pos] == UInt8(ascii: "]") { pos += 1; return .array(items) }
                throw fail(.expectedCommaOrBracket)
            }
        }
    }
}
