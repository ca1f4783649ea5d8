import Foundation
import MCP
import Replicate
import ReplicateLua

/// The arguments of one tool call, read with their bounds: every string has a documented
/// largest size and every number its range (`BoundedNumber`), so no argument can make a call
/// slow (a 600 KB search query kept discovery busy for seconds) or a conversion trap.
struct ToolArguments {
    /// The tool, as errors name it.
    let tool: String
    let values: [String: Value]

    /// Most UTF-8 bytes of each string argument.
    enum MaxBytes {
        /// `execute_lua`'s `code`: 1 MiB.
        static let code = 1 << 20
        /// `search_functions`' `query`: a few words.
        static let query = 1_000
        /// `describe_function`'s `name`, and a tool's name.
        static let name = 200
        /// A `--expose functions` tool's arguments, as JSON: 1 MiB.
        static let functionArguments = 1 << 20
    }

    /// The first argument (in name order) that `tool`'s input schema does not name, as an error
    /// naming it and the nearest argument the tool takes; nil when every name is known.
    func unknownName(allowed tool: Tool) -> String? {
        guard case .object(let schema) = tool.inputSchema, case .object(let properties)? = schema["properties"] else { return nil }
        let names = properties.keys.sorted()
        for key in values.keys.sorted() where properties[key] == nil {
            let shown = key.utf8.count > MaxBytes.name ? String(key.prefix(40)) + "…" : key
            var message = "\(self.tool): unknown argument '\(shown)'"
            if key.utf8.count <= MaxBytes.name, let near = Self.nearest(to: key, among: names) { message += "; did you mean '\(near)'?" }
            return message + " (\(self.tool) takes " + names.map { "'\($0)'" }.joined(separator: ", ") + ")"
        }
        return nil
    }

    /// The name `key` most likely meant: one it begins (`timeout` → `timeout_seconds`) or that
    /// begins it, else the nearest by edit distance.
    static func nearest(to key: String, among names: [String]) -> String? {
        let lower = key.lowercased()
        let prefixed = names.filter { name in
            let candidate = name.lowercased()
            return lower.count >= 3 && (candidate.hasPrefix(lower) || lower.hasPrefix(candidate))
        }
        if let shortest = prefixed.min(by: { $0.count < $1.count }) { return shortest }
        // `timeout_s`: the part before the last underscore begins the name.
        if let cut = lower.lastIndex(of: "_"), lower.distance(from: lower.startIndex, to: cut) >= 3 {
            let stem = String(lower[..<cut]) + "_"
            if let match = names.filter({ $0.lowercased().hasPrefix(stem) }).min(by: { $0.count < $1.count }) { return match }
        }
        return Catalog.closest(to: key, among: names)
    }

    /// An argument that is not what the tool takes; the message says which and what would be right.
    struct Problem: Error {
        let message: String
    }

    /// The string argument `key` (nil when absent or null), at most `maxBytes` long.
    func string(_ key: String, maxBytes: Int) throws(Problem) -> String? {
        guard let value = values[key] else { return nil }
        let text: String
        switch value {
        case .null: return nil
        case .string(let string): text = string
        case .data:
            // The SDK reads a string that looks like a data URL as data; it was still a string.
            guard let json = ValueConversion.jsonText(value), let string = (try? JSONDecoder().decode(String.self, from: Data(json.utf8))) else {
                throw Problem(message: "\(tool): '\(key)' must be a string")
            }
            text = string
        default:
            throw Problem(message: "\(tool): '\(key)' must be a string, got \(Self.kind(of: value))")
        }
        let size = text.utf8.count
        guard size <= maxBytes else {
            throw Problem(message: "\(tool): '\(key)' is \(size) bytes, more than the \(Self.bytes(maxBytes)) it may have")
        }
        return text
    }

    /// The number argument `key` (nil when absent or null), within `bound`. A string holding a
    /// number is read as that number, as some clients send numbers.
    func number(_ key: String, _ bound: BoundedNumber) throws(Problem) -> Double? {
        guard let value = values[key] else { return nil }
        do {
            switch value {
            case .null: return nil
            case .int(let i): return try bound.check(Double(i), name: key, shown: String(i))
            case .double(let d): return try bound.check(d, name: key)
            case .string(let s): return try bound.parse(s, name: key)
            default: break
            }
        } catch {
            throw Problem(message: "\(tool): \(error.message)")
        }
        throw Problem(message: "\(tool): " + bound.error(name: key, shown: Self.kind(of: value)).message)
    }

    /// "a boolean", "an object": what a value was, for errors.
    static func kind(of value: Value) -> String {
        switch value {
        case .null: return "null"
        case .bool: return "a boolean"
        case .int, .double: return "a number"
        case .string, .data: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// "1 MiB", "1000 bytes".
    static func bytes(_ count: Int) -> String {
        count >= 1 << 20 && count % (1 << 20) == 0 ? "\(count >> 20) MiB (\(count) bytes)" : "\(count) bytes"
    }
}
