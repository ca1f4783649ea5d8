import CLua
import CLuaBridge
import Foundation

/// Encodes a Lua value as JSON per the Values table of docs/architecture.md. Reads tables with `lua_next` and
/// raw accessors only, so no metamethod (and no longjmp) can run from Swift.
struct LuaToJSON {
    let L: OpaquePointer
    let vm: LuaVM
    var out: [UInt8] = []
    private var open: [UnsafeRawPointer] = []
    private var path: [String] = []
    /// Bytes the text may take: what the memory limit leaves the state. The text is memory the
    /// host holds for the script (and becomes a Lua string, a request body or an envelope), so
    /// it counts against the limit like the script's own.
    private let budget: Int
    /// Bytes after which the encoding stops with `Failure.isCut`, leaving the text written so
    /// far in `out` (an envelope's result cap: the rest would be thrown away, so it is never made).
    var stopAfter: Int?

    init(L: OpaquePointer, vm: LuaVM) {
        self.L = L
        self.vm = vm
        let state = kl_getstate(L).pointee
        budget = state.limit == 0 ? Int.max : Int(state.limit) - min(Int(state.used), Int(state.limit))
        out.reserveCapacity(256)
    }

    struct Failure: Error {
        let message: String
        /// The text outgrew the memory limit.
        var isMemory = false
        /// The text passed `stopAfter`; `out` holds what was written.
        var isCut = false
    }

    mutating func encode(at index: Int32) throws(Failure) -> [UInt8] {
        out.removeAll(keepingCapacity: true)
        try value(at: lua_absindex(L, index))
        return out
    }

    private func failure(_ message: String) -> Failure {
        Failure(message: path.isEmpty ? message : "\(message) (at \(path.joined()))")
    }

    /// Checked after each string and each table member: the text may pass the budget by at
    /// most one value before the encoding stops.
    @inline(__always) private func checkBudget() throws(Failure) {
        if let stopAfter, out.count > stopAfter { throw Failure(message: "cut", isCut: true) }
        if out.count > budget {
            throw Failure(message: "not enough memory: the JSON text would pass the memory limit", isMemory: true)
        }
    }

    private mutating func value(at index: Int32) throws(Failure) {
        switch lua_type(L, index) {
        case LUA_TNIL: out.append(contentsOf: "null".utf8)
        case LUA_TBOOLEAN: out.append(contentsOf: lua_toboolean(L, index) != 0 ? "true".utf8 : "false".utf8)
        case LUA_TNUMBER:
            if kl_isinteger(L, index) != 0 {
                out.append(contentsOf: String(kl_tointeger(L, index, nil)).utf8)
            } else {
                let d = kl_tonumber(L, index, nil)
                guard d.isFinite else { throw failure("cannot encode \(d) as JSON (NaN and infinity have no JSON form)") }
                if d == d.rounded(), abs(d) < 1e16 {
                    out.append(contentsOf: String(Int64(d)).utf8)
                    out.append(contentsOf: ".0".utf8)
                } else {
                    out.append(contentsOf: d.description.utf8)
                }
            }
        case LUA_TSTRING:
            var length = 0
            guard let p = kl_tolstring_raw(L, index, &length) else { return }
            try string(UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self), length)
        case LUA_TLIGHTUSERDATA where lua_touserdata(L, index) == nil:
            out.append(contentsOf: "null".utf8)
        case LUA_TTABLE:
            try table(at: index)
        default:
            let name = String(cString: lua_typename(L, lua_type(L, index)))
            throw failure("cannot encode a \(name) value as JSON")
        }
    }

    private mutating func string(_ p: UnsafePointer<UInt8>, _ n: Int) throws(Failure) {
        guard UTF8Check.isValid(p, n) else { throw failure("cannot encode a string that is not valid UTF-8 as JSON") }
        out.append(UInt8(ascii: "\""))
        var runStart = 0
        for i in 0..<n {
            let c = p[i]
            if c >= 0x20, c != 0x22, c != 0x5C { continue }
            out.append(contentsOf: UnsafeBufferPointer(start: p + runStart, count: i - runStart))
            switch c {
            case 0x22: out.append(contentsOf: "\\\"".utf8)
            case 0x5C: out.append(contentsOf: "\\\\".utf8)
            case 0x0A: out.append(contentsOf: "\\n".utf8)
            case 0x0D: out.append(contentsOf: "\\r".utf8)
            case 0x09: out.append(contentsOf: "\\t".utf8)
            default:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: "\\u00".utf8)
                out.append(hex[Int(c >> 4)])
                out.append(hex[Int(c & 0xF)])
            }
            runStart = i + 1
        }
        out.append(contentsOf: UnsafeBufferPointer(start: p + runStart, count: n - runStart))
        out.append(UInt8(ascii: "\""))
        try checkBudget()
    }

    private enum Shape { case array(Int), object }

    private mutating func table(at index: Int32) throws(Failure) {
        guard let pointer = lua_topointer(L, index) else { return }
        if open.contains(pointer) { throw failure("cannot encode a table that contains itself (a cycle)") }
        if open.count >= JSONToLua.maxDepth { throw failure("cannot encode tables nested deeper than \(JSONToLua.maxDepth) levels") }
        guard lua_checkstack(L, 6) != 0 else { throw failure("Lua stack exhausted while encoding JSON") }
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
            out.append(UInt8(ascii: "["))
            for i in 0..<n {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                lua_rawgeti(L, index, lua_Integer(i + 1))
                path.append("[\(i + 1)]")
                defer { path.removeLast(); kl_pop(L, 1) }
                try value(at: lua_gettop(L))
                try checkBudget()
            }
            out.append(UInt8(ascii: "]"))
        case .object:
            try object(at: index)
        }
    }

    /// An unmarked table is an array when its keys are exactly 1..n, an object when its keys are
    /// strings (or it is empty); anything else is ambiguous and an error that says how to fix it.
    private mutating func inferShape(at index: Int32) throws(Failure) -> Shape {
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
            throw failure("cannot encode a sparse array as JSON (keys 1..\(maxInteger) with \(maxInteger - Int64(count)) missing); fill the holes with json.null")
        }
        if integers > 0 {
            throw failure("cannot encode a table with both array items and named keys as JSON; use json.object{} or json.array{} to say which it is")
        }
        return .object
    }

    private mutating func object(at index: Int32) throws(Failure) {
        // Keys are sorted so the same table always encodes the same way.
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
                throw failure("cannot encode a table with a \(name) key as a JSON object")
            }
        }
        keys.sort { $0.bytes.lexicographicallyPrecedes($1.bytes) }
        out.append(UInt8(ascii: "{"))
        for (offset, key) in keys.enumerated() {
            if offset > 0 { out.append(UInt8(ascii: ",")) }
            try key.bytes.withUnsafeBufferPointer { (b: UnsafeBufferPointer<UInt8>) throws(Failure) in
                try string(b.baseAddress ?? UnsafePointer(bitPattern: 1)!, b.count)
            }
            out.append(UInt8(ascii: ":"))
            if let integer = key.integer {
                lua_rawgeti(L, index, integer)
            } else {
                key.bytes.withUnsafeBufferPointer { b in
                    b.withMemoryRebound(to: CChar.self) { _ = lua_pushlstring(L, $0.baseAddress, $0.count) }
                }
                lua_rawget(L, index)
            }
            path.append("." + String(decoding: key.bytes, as: UTF8.self))
            defer { path.removeLast(); kl_pop(L, 1) }
            try value(at: lua_gettop(L))
            try checkBudget()
        }
        out.append(UInt8(ascii: "}"))
    }
}
