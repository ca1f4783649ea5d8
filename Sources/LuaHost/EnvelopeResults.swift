import CLua
import CLuaBridge
import KosmoCore

/// A chunk's results as an agent envelope holds them: within a byte cap, and with any value
/// JSON cannot hold reported beside them rather than in place of the run.
public struct EnvelopeResults: Sendable, Equatable {
    /// The results, each within what the cap left (strings and tables cut to fit).
    public var values: [LuaValue]
    /// Something was cut or left out to keep the results within the cap.
    public var truncated: Bool
    /// Why the results could not be returned (NaN, infinity, a function, a cycle, a sparse
    /// array…), with where in the value; `values` is then empty. The run itself succeeded.
    public var problem: String?
    /// Whether `problem` is the memory limit (a `limit`, not a value JSON cannot hold).
    public var problemIsLimit = false

    public init(values: [LuaValue], truncated: Bool = false, problem: String? = nil, problemIsLimit: Bool = false) {
        (self.values, self.truncated, self.problem, self.problemIsLimit) = (values, truncated, problem, problemIsLimit)
    }
}

extension LuaVM {
    /// Runs a chunk like `run`, returning its results for an envelope: at most `maxBytes` of
    /// JSON in all, so a 200,000-row table is never encoded past the cap (the encoder stops
    /// there and the text is cut back to whole members, `JSONPrefix`). A result that cannot be
    /// encoded is `problem`, never a thrown error: what the run did (its calls) stands.
    public func runForEnvelope(_ source: [UInt8], chunkName: String, arguments: [String] = [],
                               maxBytes: Int) throws(RunError) -> EnvelopeResults {
        let top = lua_gettop(state)
        try load(source, chunkName: chunkName)
        for argument in arguments { lua_pushstring(state, argument) }
        try call(argumentCount: Int32(arguments.count), resultCount: LUA_MULTRET)
        defer { lua_settop(state, top) }
        let count = lua_gettop(state) - top
        var results = EnvelopeResults(values: [])
        guard count > 0 else { return results }
        // Several results are an array: its brackets and commas count against the cap.
        var room = maxBytes - (count > 1 ? 1 + Int(count) : 0)
        for index in (top + 1)...(top + count) {
            guard room > 0 else {
                results.truncated = true
                break
            }
            do {
                let value = try envelopeValue(at: index, maxBytes: room, truncated: &results.truncated)
                room -= value.approximateJSONBytes
                results.values.append(value)
            } catch {
                return EnvelopeResults(values: [], problem: error.message, problemIsLimit: error.isLimit)
            }
        }
        return results
    }

    /// A result's reason for not being returned, as the envelope words it.
    private struct Unreturnable: Error {
        let message: String
        var isLimit = false
    }

    private func envelopeValue(at index: Int32, maxBytes: Int, truncated: inout Bool) throws(Unreturnable) -> LuaValue {
        switch lua_type(state, index) {
        case LUA_TSTRING:
            let bytes = bytesValue(on: state, at: index) ?? []
            let cut = JSONPrefix.stringPrefix(bytes, maxBytes: maxBytes)
            if cut.count < bytes.count { truncated = true }
            return .bytes(cut)
        case LUA_TTABLE:
            var walker = LuaValueWalker(L: state, vm: self, sink: JSONTextSink())
            walker.stopAfter = maxBytes
            do throws(JSONError) {
                try walker.walk(at: index)
                let text = walker.sink.out
                guard text.count > maxBytes else { return .json(text) }
                truncated = true
                return .json(JSONPrefix.cut(text, maxBytes: maxBytes) ?? Array("null".utf8))
            } catch {
                if error.isCap {
                    truncated = true
                    return .json(JSONPrefix.cut(walker.sink.out, maxBytes: maxBytes) ?? Array("null".utf8))
                }
                if error.isMemory {
                    let limit = limits.memoryBytes.map(Self.formatBytes) ?? "the memory limit"
                    throw Unreturnable(message: "not enough memory: the memory limit (\(limit)) was reached while encoding the result as JSON", isLimit: true)
                }
                throw Unreturnable(message: error.message)
            }
        default:
            do { return try resultValue(at: index) } catch {
                throw Unreturnable(message: error.message, isLimit: error.kind == .limit)
            }
        }
    }
}

extension LuaValue {
    /// About how many bytes of JSON the value takes, for sharing the cap among several results.
    var approximateJSONBytes: Int {
        switch self {
        case .bytes(let bytes): return bytes.count + 2
        case .json(let bytes): return bytes.count
        case .string(let s): return s.utf8.count + 2
        default: return 24
        }
    }
}
