import CLua
import CLuaBridge
import KosmoCore

/// A Lua value as JSON, walked once by `LuaValueWalker` (the one set of rules and errors) into
/// either form a caller needs: the text, or a `JSONValue` with no text in between.
enum LuaToJSON {
    /// The JSON text of the value at `index` of `L`.
    static func text(_ L: OpaquePointer, _ vm: LuaVM, at index: Int32) throws(JSONError) -> [UInt8] {
        var walker = LuaValueWalker(L: L, vm: vm, sink: JSONTextSink())
        try walker.walk(at: index)
        return walker.sink.out
    }

    /// The value at `index` of `L` as a `JSONValue`: equal to reading back `text(...)`, and
    /// failing where it fails, except that with `openFiles` an open Lua file is `{path = …}`.
    static func value(_ L: OpaquePointer, _ vm: LuaVM, at index: Int32, openFiles: Bool = false) throws(JSONError) -> JSONValue {
        var walker = LuaValueWalker(L: L, vm: vm, sink: JSONValueSink())
        walker.openFilesAsPaths = openFiles
        try walker.walk(at: index)
        return walker.sink.result
    }
}

/// Writes the walk as JSON text, with `JSONText`'s escapes and numbers (as `JSONValue.encoded()`).
struct JSONTextSink: JSONSink {
    var out: [UInt8] = []
    var size: Int { out.count }

    init() { out.reserveCapacity(256) }

    mutating func null() { out.append(contentsOf: "null".utf8) }
    mutating func bool(_ b: Bool) { out.append(contentsOf: b ? "true".utf8 : "false".utf8) }
    mutating func integer(_ i: Int64) { JSONText.appendInteger(i, to: &out) }
    // Finite: the walker refuses NaN and the infinities before a sink sees them.
    mutating func double(_ d: Double) { out.append(contentsOf: ((try? JSONText.doubleText(d)) ?? "null").utf8) }
    mutating func string(_ p: UnsafePointer<UInt8>, _ n: Int) { JSONText.appendString(p, n, to: &out) }
    mutating func beginArray(count: Int) { out.append(UInt8(ascii: "[")) }
    mutating func endArray() { out.append(UInt8(ascii: "]")) }
    mutating func beginObject(count: Int) { out.append(UInt8(ascii: "{")) }
    mutating func key(_ p: UnsafePointer<UInt8>, _ n: Int) {
        JSONText.appendString(p, n, to: &out)
        out.append(UInt8(ascii: ":"))
    }
    mutating func endObject() { out.append(UInt8(ascii: "}")) }
    mutating func separator() { out.append(UInt8(ascii: ",")) }
}

/// Builds the walk as a `JSONValue`, counting the bytes the text would take.
struct JSONValueSink: JSONSink {
    private(set) var result: JSONValue = .null
    private(set) var size = 0
    /// The open containers, innermost last: whether each is an array, and its contents so far.
    private var isArray: [Bool] = []
    private var arrays: [[JSONValue]] = []
    private var objects: [[String: JSONValue]] = []
    private var keys: [String] = []

    private mutating func put(_ value: JSONValue) {
        guard let array = isArray.last else { result = value; return }
        if array {
            arrays[arrays.count - 1].append(value)
        } else {
            // A later equal key wins, as reading the text back would keep the last.
            objects[objects.count - 1][keys.removeLast()] = value
        }
    }

    mutating func null() { size += 4; put(.null) }
    mutating func bool(_ b: Bool) { size += b ? 4 : 5; put(.bool(b)) }
    mutating func integer(_ i: Int64) { size += JSONText.integerLength(i); put(.int(i)) }
    mutating func double(_ d: Double) { size += ((try? JSONText.doubleText(d)) ?? "null").utf8.count; put(.double(d)) }
    mutating func string(_ p: UnsafePointer<UInt8>, _ n: Int) {
        size += JSONText.stringLength(p, n)
        put(.string(String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)))
    }
    mutating func beginArray(count: Int) {
        size += 1
        isArray.append(true)
        arrays.append([])
        arrays[arrays.count - 1].reserveCapacity(count)
    }
    mutating func endArray() {
        size += 1
        isArray.removeLast()
        put(.array(arrays.removeLast()))
    }
    mutating func beginObject(count: Int) {
        size += 1
        isArray.append(false)
        objects.append(Dictionary(minimumCapacity: count))
    }
    mutating func key(_ p: UnsafePointer<UInt8>, _ n: Int) {
        size += JSONText.stringLength(p, n) + 1
        keys.append(String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self))
    }
    mutating func endObject() {
        size += 1
        isArray.removeLast()
        put(.object(objects.removeLast()))
    }
    mutating func separator() { size += 1 }
}
