import CLua
import CLuaBridge
import KosmoCore

/// Where a walked Lua value goes, in order: JSON text (`JSONTextSink`) or a `JSONValue`
/// (`JSONValueSink`). The walker decides everything (shapes, checks, errors); a sink only
/// records, and keeps `size`, the bytes of JSON text so far, which the memory budget counts.
protocol JSONSink {
    var size: Int { get }
    mutating func null()
    mutating func bool(_ b: Bool)
    mutating func integer(_ i: Int64)
    /// A finite double (the walker has checked).
    mutating func double(_ d: Double)
    /// A string whose bytes the walker has checked are UTF-8.
    mutating func string(_ p: UnsafePointer<UInt8>, _ n: Int)
    mutating func beginArray(count: Int)
    mutating func endArray()
    mutating func beginObject(count: Int)
    /// An object member's key (checked UTF-8), before its value.
    mutating func key(_ p: UnsafePointer<UInt8>, _ n: Int)
    mutating func endObject()
    /// Between two items or members.
    mutating func separator()
}

/// Walks a Lua value as JSON, per the Values table of docs/architecture.md: the one place that
/// decides how a Lua value becomes JSON, whether as text (`json.encode`, results, error tables)
/// or as a `JSONValue` (a `replicate.*` call's arguments). Reads tables with `lua_next` and raw
/// accessors only, so no metamethod (and no longjmp) can run from Swift.
///
/// The text counts against the memory limit: it is memory the host holds for the script (and
/// becomes a Lua string, a request body or an envelope). A `JSONValue` counts as the text it
/// would be, so both forms fail at the same point.
struct LuaValueWalker<Sink: JSONSink> {
    let L: OpaquePointer
    let vm: LuaVM
    var sink: Sink
    private var open: [UnsafeRawPointer] = []
    /// Bytes the text may take: what the memory limit leaves the state.
    private let budget: Int
    /// Bytes after which the walk stops with `textPassesCap`, leaving what the sink has so far
    /// (an envelope's result cap: the rest would be thrown away, so it is never made).
    var stopAfter: Int?
    /// Whether an open Lua file (`io.open`) walks as `{path = …}`, the file it names: a call's
    /// arguments take it where a model wants a file, as `replicate.file(path)` is taken. Off for
    /// JSON text, where a file has no meaning.
    var openFilesAsPaths = false

    init(L: OpaquePointer, vm: LuaVM, sink: Sink) {
        self.L = L
        self.vm = vm
        self.sink = sink
        let state = kl_getstate(L).pointee
        budget = state.limit == 0 ? Int.max : Int(state.limit) - min(Int(state.used), Int(state.limit))
    }

    /// Walks the value at stack `index` into the sink.
    mutating func walk(at index: Int32) throws(JSONError) {
        try value(at: lua_absindex(L, index))
    }

    /// Checked after each string and each table member: the text may pass the budget by at
    /// most one value before the walk stops.
    @inline(__always) private func checkBudget() throws(JSONError) {
        if let stopAfter, sink.size > stopAfter { throw JSONError(.textPassesCap) }
        if sink.size > budget { throw JSONError(.textPassesMemoryLimit) }
    }

    private mutating func value(at index: Int32) throws(JSONError) {
        switch lua_type(L, index) {
        case LUA_TNIL: sink.null()
        case LUA_TBOOLEAN: sink.bool(lua_toboolean(L, index) != 0)
        case LUA_TNUMBER:
            if kl_isinteger(L, index) != 0 {
                sink.integer(kl_tointeger(L, index, nil))
            } else {
                let d = kl_tonumber(L, index, nil)
                guard d.isFinite else { throw JSONError(.notFinite(d)) }
                sink.double(d)
            }
        case LUA_TSTRING:
            var length = 0
            guard let p = kl_tolstring_raw(L, index, &length) else { return }
            try string(UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self), length)
        case LUA_TLIGHTUSERDATA where lua_touserdata(L, index) == nil:
            sink.null()
        case LUA_TTABLE:
            try table(at: index)
        case LUA_TUSERDATA where openFilesAsPaths && luaL_testudata(L, index, "FILE*") != nil:
            try openFile(at: index)
        default:
            throw JSONError(.valueType(String(cString: lua_typename(L, lua_type(L, index)))))
        }
    }

    /// An open Lua file as `{path = …}`: the path its descriptor names now (Linux's
    /// `/proc/self/fd`), which must be a regular file still on disk.
    private mutating func openFile(at index: Int32) throws(JSONError) {
        guard let stream = luaL_testudata(L, index, "FILE*")?.assumingMemoryBound(to: luaL_Stream.self),
              stream.pointee.closef != nil, let file = stream.pointee.f else {
            throw JSONError(.openFileUnusable("is closed"))
        }
        let path = try OpenFilePath.of(descriptor: fileno(file))
        sink.beginObject(count: 1)
        try Array("path".utf8).withUnsafeBufferPointer { (key: UnsafeBufferPointer<UInt8>) throws(JSONError) in
            guard let base = key.baseAddress else { return }
            sink.key(base, key.count)
        }
        try Array(path.utf8).withUnsafeBufferPointer { (bytes: UnsafeBufferPointer<UInt8>) throws(JSONError) in
            guard let base = bytes.baseAddress else { return }
            try string(base, bytes.count)
        }
        sink.endObject()
    }

    private mutating func string(_ p: UnsafePointer<UInt8>, _ n: Int) throws(JSONError) {
        guard UTF8Check.isValid(p, n) else { throw JSONError(.stringNotUTF8) }
        sink.string(p, n)
        try checkBudget()
    }

    private enum Shape { case array(Int), object }

    private mutating func table(at index: Int32) throws(JSONError) {
        guard let pointer = lua_topointer(L, index) else { return }
        if open.contains(pointer) { throw JSONError(.cycle) }
        if open.count >= JSONLimits.luaDepth { throw JSONError(.tableTooDeep(limit: JSONLimits.luaDepth)) }
        guard lua_checkstack(L, 6) != 0 else { throw JSONError(.encoderStackExhausted) }
        open.append(pointer)
        defer { open.removeLast() }

        var marker: LuaVM.Marker?
        if lua_getmetatable(L, index) != 0 {
            vm.pushMarker(.array, on: L)
            if lua_rawequal(L, -1, -2) != 0 { marker = .array }
            kl_pop(L, 1)
            vm.pushMarker(.object, on: L)
            if lua_rawequal(L, -1, -2) != 0 { marker = .object }
            kl_pop(L, 2)
        }
        let shape: Shape
        switch marker {
        case .array: shape = .array(Int(lua_rawlen(L, index)))
        case .object: shape = .object
        case nil: shape = try inferShape(at: index)
        }
        switch shape {
        case .array(let n):
            sink.beginArray(count: n)
            for i in 0..<n {
                if i > 0 { sink.separator() }
                lua_rawgeti(L, index, lua_Integer(i + 1))
                defer { kl_pop(L, 1) }
                // The path is made only on the way out of a failure, so a walk costs nothing for it.
                do throws(JSONError) {
                    try value(at: lua_gettop(L))
                    try checkBudget()
                } catch {
                    throw error.isMemory ? error : error.inside("[\(i + 1)]")
                }
            }
            sink.endArray()
        case .object:
            try object(at: index)
        }
    }

    /// An unmarked table is an array when its keys are exactly 1..n, an object when its keys are
    /// strings (or it is empty); anything else is ambiguous and an error that says how to fix it.
    private mutating func inferShape(at index: Int32) throws(JSONError) -> Shape {
        var count = 0
        var integers = 0
        var maxInteger: Int64 = 0
        lua_pushnil(L)
        while lua_next(L, index) != 0 {
            count += 1
            if lua_type(L, -2) == LUA_TNUMBER, kl_isinteger(L, -2) != 0 {
                let k = kl_tointeger(L, -2, nil)
                if k >= 1 { integers += 1; maxInteger = max(maxInteger, k) }
            }
            kl_pop(L, 1)
        }
        if count == 0 { return .object }
        if integers == count {
            if maxInteger == Int64(count) { return .array(count) }
            throw JSONError(.sparseArray(maxIndex: maxInteger, missing: maxInteger - Int64(count)))
        }
        if integers > 0 { throw JSONError(.mixedTable) }
        return .object
    }

    private mutating func object(at index: Int32) throws(JSONError) {
        // Keys are sorted (by their bytes, as `JSONValue` writes them) so the same table always
        // encodes the same way.
        var keys: [(bytes: [UInt8], integer: Int64?)] = []
        lua_pushnil(L)
        while lua_next(L, index) != 0 {
            kl_pop(L, 1)
            switch lua_type(L, -1) {
            case LUA_TSTRING:
                var length = 0
                let p = kl_tolstring_raw(L, -1, &length)
                keys.append((Array(UnsafeRawBufferPointer(start: p, count: length)), nil))
            case LUA_TNUMBER where kl_isinteger(L, -1) != 0:
                let key = kl_tointeger(L, -1, nil)
                keys.append((Array(String(key).utf8), key))
            default:
                let name = String(cString: lua_typename(L, lua_type(L, -1)))
                kl_pop(L, 1)
                throw JSONError(.keyType(name))
            }
        }
        keys.sort { $0.bytes.lexicographicallyPrecedes($1.bytes) }
        sink.beginObject(count: keys.count)
        for (offset, key) in keys.enumerated() {
            if offset > 0 { sink.separator() }
            try key.bytes.withUnsafeBufferPointer { (b: UnsafeBufferPointer<UInt8>) throws(JSONError) in
                // An empty key has no storage; any non-null pointer does for zero bytes.
                guard let base = b.baseAddress ?? UnsafePointer(bitPattern: 1) else { return }
                guard UTF8Check.isValid(base, b.count) else { throw JSONError(.stringNotUTF8) }
                sink.key(base, b.count)
                try checkBudget()
            }
            if let integer = key.integer {
                lua_rawgeti(L, index, integer)
            } else {
                key.bytes.withUnsafeBufferPointer { b in
                    b.withMemoryRebound(to: CChar.self) { _ = lua_pushlstring(L, $0.baseAddress, $0.count) }
                }
                lua_rawget(L, index)
            }
            defer { kl_pop(L, 1) }
            do throws(JSONError) {
                try value(at: lua_gettop(L))
                try checkBudget()
            } catch {
                throw error.isMemory ? error : error.inside("." + String(decoding: key.bytes, as: UTF8.self))
            }
        }
        sink.endObject()
    }
}
