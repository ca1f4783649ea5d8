import CLua
import CLuaBridge
import Foundation
import KosmoCore

/// A JSON document decoded straight into Lua values on the stack (no intermediate tree),
/// per the Values table of docs/architecture.md: objects drop `null` members (unless `keepObjectNulls`),
/// arrays are marked, `null` in arrays is `json.null`, integers stay integers. Its tokens are
/// read by `JSONScan` (KosmoCore), as `JSONValue(parsing:)`'s are, so both accept the same
/// texts and fail with the same `JSONError`.
struct JSONToLua {
    let L: OpaquePointer
    let vm: LuaVM
    let keepObjectNulls: Bool

    /// Decodes `bytes` and leaves exactly one value on the stack, or throws with the stack as it was.
    mutating func decode(_ bytes: [UInt8]) throws(JSONError) {
        try bytes.withUnsafeBufferPointer { buffer throws(JSONError) in
            // An empty array may have no storage; any non-null pointer does for zero bytes.
            guard let base = buffer.baseAddress ?? UnsafePointer(bitPattern: 1) else { throw JSONError(.unexpectedEnd) }
            try decode(base, count: buffer.count)
        }
    }

    /// Decodes the Lua string at stack `index` in place (no copy: the string stays on the stack,
    /// so its bytes stay alive), leaving one value on top; or throws with the stack as it was.
    mutating func decode(stringAt index: Int32) throws(JSONError) {
        var length = 0
        guard lua_type(L, index) == LUA_TSTRING, let p = kl_tolstring_raw(L, index, &length) else {
            throw JSONError(.notText(String(cString: lua_typename(L, lua_type(L, index)))))
        }
        try p.withMemoryRebound(to: UInt8.self, capacity: max(length, 1)) { base throws(JSONError) in
            try decode(base, count: length)
        }
    }

    private func decode(_ base: UnsafePointer<UInt8>, count: Int) throws(JSONError) {
        let top = lua_gettop(L)
        guard lua_checkstack(L, 2) != 0 else { throw JSONError(.luaStackExhausted) }
        // The array marker, fetched once and copied for every array (slot top + 1, removed at the end).
        lua_getfield_raw(L, kl_registryindex(), LuaVM.Marker.array.rawValue)
        var parser = Parser(L: L, base: base, count: count, keepObjectNulls: keepObjectNulls,
                            state: kl_getstate(L), arrayMarker: top + 1)
        do throws(JSONError) {
            parser.pos = JSONScan.documentStart(base, count)
            parser.skipWhitespace()
            try parser.value(depth: 0)
            parser.skipWhitespace()
            if parser.pos != parser.count { throw parser.fail(.trailingText) }
        } catch {
            lua_settop(L, top)
            throw error
        }
        kl_remove(L, top + 1)
    }

    struct Parser {
        let L: OpaquePointer
        let base: UnsafePointer<UInt8>
        let count: Int
        let keepObjectNulls: Bool
        let state: UnsafeMutablePointer<kl_state>
        /// Stack slot of the array marker metatable.
        let arrayMarker: Int32
        var pos = 0
        var scratch: [UInt8] = []

        init(L: OpaquePointer, base: UnsafePointer<UInt8>, count: Int, keepObjectNulls: Bool,
             state: UnsafeMutablePointer<kl_state>, arrayMarker: Int32) {
            self.L = L; self.base = base; self.count = count; self.keepObjectNulls = keepObjectNulls
            self.state = state; self.arrayMarker = arrayMarker
        }

        func fail(_ problem: JSONError.Problem) -> JSONError {
            JSONError(problem, at: pos, in: base, count: count)
        }

        @inline(__always) mutating func skipWhitespace() {
            JSONScan.skipWhitespace(base, count, &pos)
        }

        mutating func value(depth: Int) throws(JSONError) {
            guard pos < count else { throw fail(.unexpectedEnd) }
            switch base[pos] {
            case UInt8(ascii: "{"): try object(depth: depth + 1); return
            case UInt8(ascii: "["): try array(depth: depth + 1); return
            default: break
            }
            do throws(JSONError.Problem) {
                switch base[pos] {
                case UInt8(ascii: "\""): try string()
                case UInt8(ascii: "t"): try JSONScan.literal("true", base, count, &pos); lua_pushboolean(L, 1)
                case UInt8(ascii: "f"): try JSONScan.literal("false", base, count, &pos); lua_pushboolean(L, 0)
                case UInt8(ascii: "n"): try JSONScan.literal("null", base, count, &pos); lua_pushlightuserdata(L, nil)
                case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    switch try JSONScan.number(base, count, &pos) {
                    case .integer(let i): lua_pushinteger(L, i)
                    case .double(let d): lua_pushnumber(L, d)
                    }
                default: throw .unexpectedCharacter(base[pos])
                }
            } catch {
                throw fail(error)
            }
        }

        /// Pushes the string at `pos`.
        @inline(__always) mutating func string() throws(JSONError.Problem) {
            switch try JSONScan.string(base, count, &pos, scratch: &scratch) {
            case .inPlace(let start, let n):
                base.withMemoryRebound(to: CChar.self, capacity: count) { _ = lua_pushlstring(L, $0 + start, n) }
            case .unescaped:
                scratch.withUnsafeBufferPointer { b in
                    b.withMemoryRebound(to: CChar.self) { _ = lua_pushlstring(L, $0.baseAddress, $0.count) }
                }
            }
        }

        mutating func enter(depth: Int) throws(JSONError) {
            if depth > JSONLimits.luaDepth { throw fail(.nestedTooDeeply(limit: JSONLimits.luaDepth)) }
            try checkMemory()
            if lua_checkstack(L, 4) == 0 { throw fail(.luaStackExhausted) }
        }

        /// The values are pushed with the allocator in "never fail" mode; checked after each one,
        /// a document too large for the memory limit stops within one value (and one table
        /// resize) of it instead of being built whole first.
        @inline(__always) func checkMemory() throws(JSONError) {
            if state.pointee.exceeded != 0 { throw JSONError(.notEnoughMemory) }
        }

        mutating func object(depth: Int) throws(JSONError) {
            try enter(depth: depth)
            pos += 1
            lua_createtable(L, 0, 0)
            skipWhitespace()
            if pos < count, base[pos] == UInt8(ascii: "}") { pos += 1; return }
            while true {
                skipWhitespace()
                guard pos < count, base[pos] == UInt8(ascii: "\"") else { throw fail(.expectedKey) }
                do throws(JSONError.Problem) { try string() } catch { throw fail(error) }
                skipWhitespace()
                guard pos < count, base[pos] == UInt8(ascii: ":") else { throw fail(.expectedColon) }
                pos += 1
                skipWhitespace()
                try value(depth: depth)
                try checkMemory()
                if !keepObjectNulls, lua_type(L, -1) == LUA_TLIGHTUSERDATA {
                    kl_pop(L, 2)
                } else {
                    lua_rawset(L, -3)
                }
                skipWhitespace()
                guard pos < count else { throw fail(.unexpectedEndInObject) }
                if base[pos] == UInt8(ascii: ",") { pos += 1; continue }
                if base[pos] == UInt8(ascii: "}") { pos += 1; return }
                throw fail(.expectedCommaOrBrace)
            }
        }

        mutating func array(depth: Int) throws(JSONError) {
            try enter(depth: depth)
            pos += 1
            lua_createtable(L, 0, 0)
            lua_pushvalue(L, arrayMarker)
            lua_setmetatable(L, -2)
            skipWhitespace()
            if pos < count, base[pos] == UInt8(ascii: "]") { pos += 1; return }
            var index: lua_Integer = 1
            while true {
                skipWhitespace()
                try value(depth: depth)
                try checkMemory()
                lua_rawseti(L, -2, index)
                index += 1
                skipWhitespace()
                guard pos < count else { throw fail(.unexpectedEndInArray) }
                if base[pos] == UInt8(ascii: ",") { pos += 1; continue }
                if base[pos] == UInt8(ascii: "]") { pos += 1; return }
                throw fail(.expectedCommaOrBracket)
            }
        }
    }
}
