import Foundation
import Replicate

/// The outline of one JSON text: whether it is valid JSON (RFC 8259's grammar) and, for an
/// object or an array at its top, where each member or element is.
///
/// Numbers are checked by their spelling only, whatever their size: `"id": 1e400` is valid JSON
/// whose id is not one JSON-RPC can echo, which is an Invalid Request, not a parse error. The
/// members' raw bytes are kept so an id can be echoed exactly as the client wrote it.
struct JSONShape {
    /// What is at the top of the text.
    enum Top {
        /// An object: each member's name and the bytes of its value (the last of a repeated name).
        case object([String: ArraySlice<UInt8>])
        /// An array: the bytes of each element.
        case array([ArraySlice<UInt8>])
        /// A string, a number, `true`, `false` or `null`.
        case scalar
    }

    /// Why the text is not JSON, and where.
    struct SyntaxError: Error {
        let offset: Int
        let reason: String
        var description: String { "invalid JSON at byte \(offset): \(reason)" }
    }

    /// Deeper nesting is refused (as the MCP SDK's decoder refuses it), so checking a hostile
    /// line cannot exhaust the stack.
    static let maxDepth = 512

    /// The outline of `bytes`, or why they are not one JSON value.
    static func outline(_ bytes: ArraySlice<UInt8>) throws(SyntaxError) -> Top {
        try scan(bytes).top
    }

    /// The outline of `bytes` and the first number in them too large for a `Double` (valid
    /// JSON, but no decoder here can read it), or why they are not one JSON value.
    static func scan(_ bytes: ArraySlice<UInt8>) throws(SyntaxError) -> (top: Top, hugeNumber: String?) {
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw SyntaxError(offset: 0, reason: "the text is not valid UTF-8")
        }
        var scanner = Scanner(bytes: bytes)
        scanner.skipWhitespace()
        let top = try scanner.value(depth: 0, outlining: true)
        scanner.skipWhitespace()
        guard scanner.position == bytes.endIndex else { throw scanner.failure("unexpected data after the JSON value") }
        return (top, scanner.hugeNumber)
    }

    private struct Scanner {
        let bytes: ArraySlice<UInt8>
        var position: Int
        /// The first number too large for a `Double`, as written (at most 40 characters).
        var hugeNumber: String?

        init(bytes: ArraySlice<UInt8>) {
            self.bytes = bytes
            position = bytes.startIndex
        }

        func failure(_ reason: String) -> SyntaxError {
            SyntaxError(offset: position - bytes.startIndex, reason: reason)
        }

        var current: UInt8? { position < bytes.endIndex ? bytes[position] : nil }

        mutating func skipWhitespace() {
            while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { position += 1 }
        }

        mutating func expect(_ byte: UInt8, _ what: String) throws(SyntaxError) {
            guard current == byte else { throw failure("expected \(what)") }
            position += 1
        }

        /// One value; with `outlining`, the members or elements of an object or an array.
        mutating func value(depth: Int, outlining: Bool = false) throws(SyntaxError) -> Top {
            guard let byte = current else { throw failure("unexpected end of input") }
            switch byte {
            case UInt8(ascii: "{"):
                guard depth < JSONShape.maxDepth else { throw failure("nesting deeper than \(JSONShape.maxDepth)") }
                position += 1
                var members: [String: ArraySlice<UInt8>] = [:]
                skipWhitespace()
                if current == UInt8(ascii: "}") { position += 1; return .object(members) }
                while true {
                    skipWhitespace()
                    guard current == UInt8(ascii: "\"") else { throw failure("expected a string key") }
                    let keyStart = position
                    try string()
                    let key = bytes[keyStart..<position]
                    skipWhitespace()
                    try expect(UInt8(ascii: ":"), "':'")
                    skipWhitespace()
                    let valueStart = position
                    _ = try value(depth: depth + 1)
                    if outlining, let name = Self.decodedString(key) { members[name] = bytes[valueStart..<position] }
                    skipWhitespace()
                    if current == UInt8(ascii: ",") { position += 1; continue }
                    try expect(UInt8(ascii: "}"), "',' or '}'")
                    return .object(members)
                }
            case UInt8(ascii: "["):
                guard depth < JSONShape.maxDepth else { throw failure("nesting deeper than \(JSONShape.maxDepth)") }
                position += 1
                var elements: [ArraySlice<UInt8>] = []
                skipWhitespace()
                if current == UInt8(ascii: "]") { position += 1; return .array(elements) }
                while true {
                    skipWhitespace()
                    let start = position
                    _ = try value(depth: depth + 1)
                    if outlining { elements.append(bytes[start..<position]) }
                    skipWhitespace()
                    if current == UInt8(ascii: ",") { position += 1; continue }
                    try expect(UInt8(ascii: "]"), "',' or ']'")
                    return .array(elements)
                }
            case UInt8(ascii: "\""):
                try string()
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            case UInt8(ascii: "n"): try literal("null")
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number()
            default: throw failure("unexpected character")
            }
            return .scalar
        }

        mutating func literal(_ word: StaticString) throws(SyntaxError) {
            let count = word.utf8CodeUnitCount
            let expected = UnsafeBufferPointer(start: word.utf8Start, count: count)
            guard position + count <= bytes.endIndex, bytes[position..<position + count].elementsEqual(expected) else {
                throw failure("expected \(word)")
            }
            position += count
        }

        mutating func string() throws(SyntaxError) {
            position += 1
            while let byte = current {
                position += 1
                switch byte {
                case UInt8(ascii: "\""): return
                case UInt8(ascii: "\\"):
                    guard let escaped = current else { throw failure("unterminated string") }
                    position += 1
                    if escaped == UInt8(ascii: "u") {
                        for _ in 0..<4 {
                            guard let hex = current, Self.isHexDigit(hex) else { throw failure("bad \\u escape") }
                            position += 1
                        }
                    } else if !"\"\\/bfnrt".utf8.contains(escaped) {
                        throw failure("invalid escape")
                    }
                case 0..<0x20: throw failure("control character in a string")
                default: break
                }
            }
            throw failure("unterminated string")
        }

        mutating func number() throws(SyntaxError) {
            let start = position
            defer {
                // Only an exponent or 309 digits can go past Double's range (about 1.8e308).
                if hugeNumber == nil, bytes[start..<position].contains(where: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) || position - start > 308 {
                    let text = String(decoding: bytes[start..<position], as: UTF8.self)
                    if !(Double(text)?.isFinite ?? false) { hugeNumber = String(text.prefix(40)) }
                }
            }
            if current == UInt8(ascii: "-") { position += 1 }
            guard let first = current, Self.isDigit(first) else { throw failure("bad number") }
            position += 1
            if first != UInt8(ascii: "0") { digits() }
            if current == UInt8(ascii: ".") {
                position += 1
                guard let next = current, Self.isDigit(next) else { throw failure("bad fraction") }
                digits()
            }
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                position += 1
                if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
                guard let next = current, Self.isDigit(next) else { throw failure("bad exponent") }
                digits()
            }
        }

        mutating func digits() {
            while let byte = current, Self.isDigit(byte) { position += 1 }
        }

        static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

        static func isHexDigit(_ byte: UInt8) -> Bool {
            isDigit(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
        }

        /// A key as text (escapes decoded); nil for one that is not a valid string.
        static func decodedString(_ raw: ArraySlice<UInt8>) -> String? {
            if !raw.contains(UInt8(ascii: "\\")) { return String(decoding: raw.dropFirst().dropLast(), as: UTF8.self) }
            return (try? JSONValue(parsing: Data(raw)))?.stringValue
        }
    }
}
