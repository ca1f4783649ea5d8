/// Why JSON could not be read or written: the one set of error texts every JSON reader
/// (`JSONValue(parsing:)`, `JSONParser`, the Lua host's `json.decode`) and writer
/// (`JSONValue.encoded()`, `json.encode`, Lua arguments made into `JSONValue`) reports, so the
/// same bad input reads the same wherever it is met.
///
/// A reader's error says where (`at line L column C`); a writer's says which member (`(at .a[2])`,
/// array items counted from 1 as Lua does, since such values usually come from a script).
public struct JSONError: Error, Sendable, CustomStringConvertible {
    /// What was wrong.
    public enum Problem: Error, Sendable {
        // Reading JSON text.
        case unexpectedEnd
        case unexpectedEndInObject
        case unexpectedEndInArray
        case unterminatedString
        case trailingText
        case unexpectedCharacter(UInt8)
        case invalidLiteral
        case expectedKey
        case expectedColon
        case expectedCommaOrBrace
        case expectedCommaOrBracket
        case nestedTooDeeply(limit: Int)
        case controlCharacter
        case invalidUTF8
        case unpairedSurrogate
        case invalidEscape(UInt8)
        case invalidUnicodeEscape
        case invalidNumber
        case leadingZero
        case numberOutOfRange
        /// The memory limit was reached while building the decoded values.
        case notEnoughMemory
        /// The Lua stack could not grow for the next level.
        case luaStackExhausted
        /// What was given to read was not text (a Lua value that is not a string).
        case notText(String)

        // Writing JSON.
        case notFinite(Double)
        case stringNotUTF8
        case cycle
        case tableTooDeep(limit: Int)
        case sparseArray(maxIndex: Int64, missing: Int64)
        case mixedTable
        case keyType(String)
        case valueType(String)
        /// An open Lua file given where a call takes one (a model's file input) that no longer
        /// names a file on disk: closed, a pipe or a terminal, or deleted since it was opened.
        case openFileUnusable(String)
        /// The text would pass the memory limit.
        case textPassesMemoryLimit
        /// The text passed the cap its caller set (an envelope's result cap): what was written
        /// so far is kept, the rest never made.
        case textPassesCap
        /// The Lua stack could not grow while walking a table.
        case encoderStackExhausted

        /// The text of the problem alone, without where it was met.
        public var text: String {
            switch self {
            case .unexpectedEnd: return "unexpected end of JSON"
            case .unexpectedEndInObject: return "unexpected end of JSON in an object"
            case .unexpectedEndInArray: return "unexpected end of JSON in an array"
            case .unterminatedString: return "unterminated string"
            case .trailingText: return "unexpected text after the JSON value"
            case .unexpectedCharacter(let byte): return "unexpected character \(JSONError.shown(byte))"
            case .invalidLiteral: return "invalid literal (expected true, false or null)"
            case .expectedKey: return "expected a string key"
            case .expectedColon: return "expected ':'"
            case .expectedCommaOrBrace: return "expected ',' or '}'"
            case .expectedCommaOrBracket: return "expected ',' or ']'"
            case .nestedTooDeeply(let limit): return "JSON nested deeper than \(limit) levels"
            case .controlCharacter: return "control character in a JSON string (escape it, e.g. \\n or \\u0001)"
            case .invalidUTF8: return "invalid UTF-8 in a JSON string"
            case .unpairedSurrogate: return "unpaired surrogate in a JSON string (a \\uD800-\\uDFFF escape must be half of a pair)"
            case .invalidEscape(let byte): return "invalid escape '\\\(JSONError.printable(byte))'"
            case .invalidUnicodeEscape: return "invalid \\u escape (it needs four hex digits)"
            case .invalidNumber: return "invalid number"
            case .leadingZero: return "invalid number (leading zero)"
            case .numberOutOfRange: return "number out of range (a JSON number must be within ±1.8e308)"
            case .notEnoughMemory: return "not enough memory"
            case .luaStackExhausted: return "JSON nested too deeply for the Lua stack"
            case .notText(let name): return "expected JSON text (a string), got a \(name) value"
            case .notFinite(let d):
                // NaN by name whatever its sign bit (Lua's 0/0 has it set and would print "-nan").
                let name = d.isNaN ? "NaN" : d < 0 ? "-infinity" : "infinity"
                return "cannot encode \(name) as JSON (NaN and infinity have no JSON form)"
            case .stringNotUTF8: return "cannot encode a string that is not valid UTF-8 as JSON"
            case .cycle: return "cannot encode a table that contains itself (a cycle)"
            case .tableTooDeep(let limit): return "cannot encode tables nested deeper than \(limit) levels"
            case .sparseArray(let maxIndex, let missing):
                return "cannot encode a sparse array as JSON (keys 1..\(maxIndex) with \(missing) missing); fill the holes with json.null"
            case .mixedTable:
                return "cannot encode a table with both array items and named keys as JSON; use json.object{} or json.array{} to say which it is"
            case .keyType(let name): return "cannot encode a table with a \(name) key as a JSON object"
            case .valueType(let name): return "cannot encode a \(name) value as JSON"
            case .openFileUnusable(let why): return "cannot send an open file that \(why); give the path of a file on disk instead"
            case .textPassesMemoryLimit: return "not enough memory: the JSON text would pass the memory limit"
            case .textPassesCap: return "the JSON text passed its cap"
            case .encoderStackExhausted: return "Lua stack exhausted while encoding JSON"
            }
        }
    }

    /// Where in a text a reader stopped: 1-based line, and column in bytes from the line's start.
    public struct Position: Sendable, Equatable {
        public var line: Int
        public var column: Int
        /// The 0-based byte offset.
        public var offset: Int

        /// The position of byte `offset` of the `count` bytes at `base`.
        public init(offset: Int, in base: UnsafePointer<UInt8>, count: Int) {
            var line = 1, column = 1
            var i = 0
            while i < min(offset, count) {
                if base[i] == 0x0A { line += 1; column = 1 } else { column += 1 }
                i += 1
            }
            self.line = line
            self.column = column
            self.offset = offset
        }
    }

    public var problem: Problem
    /// Reading: where the reader stopped (nil for problems that are not at a place, such as memory).
    public var position: Position?
    /// Writing: the members from the outermost value to the one that failed (`.name`, `[2]`).
    public var path: [String]

    public init(_ problem: Problem, position: Position? = nil, path: [String] = []) {
        self.problem = problem
        self.position = position
        self.path = path
    }

    /// The error `problem` met at byte `offset` of a text.
    public init(_ problem: Problem, at offset: Int, in base: UnsafePointer<UInt8>, count: Int) {
        self.init(problem, position: Position(offset: offset, in: base, count: count))
    }

    /// Whether it is the cap the caller set, not a fault of the value.
    public var isCap: Bool {
        if case .textPassesCap = problem { return true }
        return false
    }

    /// Whether the memory limit caused it (the caller then raises Lua's memory error).
    public var isMemory: Bool {
        switch problem {
        case .notEnoughMemory, .textPassesMemoryLimit: return true
        default: return false
        }
    }

    /// One line: the problem, then where.
    public var message: String {
        var text = problem.text
        if let position { text += " at line \(position.line) column \(position.column)" }
        if !path.isEmpty { text += " (at \(path.joined()))" }
        return text
    }

    public var description: String { message }

    /// This error, one level further out: `component` (`.name` or `[2]`) goes in front of the path.
    public func inside(_ component: String) -> JSONError {
        var copy = self
        copy.path.insert(component, at: 0)
        return copy
    }

    /// A byte as a message shows it: printable ASCII quoted, anything else as hex.
    static func shown(_ byte: UInt8) -> String {
        byte >= 0x21 && byte < 0x7F ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x" + hex(byte)
    }

    static func printable(_ byte: UInt8) -> String {
        byte >= 0x21 && byte < 0x7F ? String(Character(Unicode.Scalar(byte))) : "x" + hex(byte)
    }

    static func hex(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16, uppercase: true)
        return digits.count == 1 ? "0" + digits : digits
    }
}
