import KosmoCore

/// A Lua value built in Swift, safe to send between threads, pushed by the VM thread.
/// Async host functions return these, since the VM's stack is off-limits to other threads.
public indirect enum LuaValue: Sendable, Equatable {
    case `nil`
    case boolean(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case bytes([UInt8])
    /// A sequence, marked as a JSON array so it encodes back as `[...]`.
    case array([LuaValue])
    /// A table with string keys, in the given order.
    case table([(String, LuaValue)])
    /// A JSON document decoded straight into Lua values per the Values table of docs/architecture.md.
    case json([UInt8])
    /// A `JSONValue` pushed as the same Lua values its text would decode to (`json`), with no
    /// text in between.
    case jsonValue(JSONValue)
    /// The `json.null` sentinel.
    case null

    public static func == (lhs: LuaValue, rhs: LuaValue) -> Bool {
        switch (lhs, rhs) {
        case (.nil, .nil), (.null, .null): return true
        case let (.boolean(a), .boolean(b)): return a == b
        case let (.integer(a), .integer(b)): return a == b
        case let (.number(a), .number(b)): return a == b
        case let (.string(a), .string(b)): return a == b
        case let (.bytes(a), .bytes(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.json(a), .json(b)): return a == b
        case let (.jsonValue(a), .jsonValue(b)): return a == b
        case let (.table(a), .table(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }
}

/// An error a host function raises in Lua. `value` becomes the Lua error value (a string, or a
/// table such as the `replicate.*` error tables); `kind` classifies it for envelopes.
public struct LuaRaise: Error, Sendable {
    public var value: LuaValue
    /// Name of a metatable registered with `LuaVM.registerMetatable` to attach to a table value.
    public var metatable: String?

    public init(_ message: String) {
        self.value = .string(message)
        self.metatable = nil
    }

    public init(value: LuaValue, metatable: String? = nil) {
        self.value = value
        self.metatable = metatable
    }
}
