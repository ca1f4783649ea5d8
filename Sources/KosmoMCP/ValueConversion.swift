import Foundation
import MCP
import Replicate

/// Between the Replicate client's JSON values and the MCP SDK's.
enum ValueConversion {
    static func mcp(_ json: JSONValue) -> Value {
        switch json {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(Int(i))
        case .double(let d): return .double(d)
        case .string(let s): return .string(s)
        case .array(let items): return .array(items.map(mcp))
        case .object(let members): return .object(members.mapValues(mcp))
        }
    }

    /// An MCP value as JSON text (data values become their data URLs, as the SDK encodes them).
    static func jsonText(_ value: Value) -> String? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
