import CLua
import CLuaBridge
import Foundation

/// A JSON document decoded straight into Lua values on the stack (no intermediate tree),
/// per the Values table of docs/architecture.md: objects drop `null` members (unless `keepObjectNulls`),
/// arrays are marked, `null` in arrays is `json.null`, integers stay integers.
struct JSONToLua {
    let L: OpaquePointer
    let vm: LuaVM
    let keepObjectNulls: Bool
    static let maxDepth = 200

    struct Failure: Error { let message: String }

    /// Decodes `bytes` and leaves exactly one value on the stack, or throws with the stack as it was.
    mutating func decode(_ bytes: [UInt8]) throws(Failure) {
        try bytes.withUnsafeBufferPointer { buffer throws(Failure) in
            try decode(buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!, count: buffer.count)
        }
    }

    /// Decodes the Lua string at stack `index` in place (no copy: the string stays on the stack,
    /// so its bytes stay alive), leaving one value on top; or throws with the stack as it was.
    mutating func decode(stringAt index: Int32) throws(Failure) {
        var length = 0
        guard lua_type(L, index) == LUA_TSTRING, let p = kl_tolstring_raw(L, index, &length) else {
            throw Failure(message: "expected a string")
        }
        try p.withMemoryRebound(to: UInt8.self, capacity: max(length, 1)) { base throws(Failure) in
            try decode(base, count: length)
        }
    }

    private func decode(_ base: UnsafePointer<UInt8>, count: Int) throws(Failure) {
        let top = lua_gettop(L)
        guard lua_checkstack(L, 2) != 0 else { throw Failure(message: "JSON nested too deeply for the Lua stack") }
        // The array marker, fetched once and copied for every array (slot top + 1, removed at the end).
        lua_getfield_raw(L, kl_registryindex(), LuaVM.Marker.array.rawValue)
        var parser = Parser(L: L, base: base, count: count, keepObjectNulls: keepObjectNulls,
                            state: kl_getstate(L), arrayMarker: top + 1)
        do throws(Failure) {
            parser.skipWhitespace()
            try parser.value(depth: 0)
            parser.skipWhitespace()
            if parser.pos != parser.count { throw parser.fail("unexpected text after the JSON value") }
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

        func fail(_ message: String) -> Failure {
            var line = 1, column = 1
            var i = 0
            while i < min(pos, count) {
                if base[i] == 0x0A { line += 1; column = 1 } else { column += 1 }
                i += 1
            }
            return Failure(message: "\(message) at line \(line) column \(column)")
        }

        @inline(__always) mutating func skipWhitespace() {
            while pos < count {
                let c = base[pos]
                if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { pos += 1 } else { return }
            }
        }

        mutating func value(depth: Int) throws(Failure) {
            guard pos < count else { throw fail("unexpected end of JSON") }
            switch base[pos] {
            case UInt8(ascii: "{"): try object(depth: depth + 1)
            case UInt8(ascii: "["): try array(depth: depth + 1)
            case UInt8(ascii: "\""): try string()
            case UInt8(ascii: "t"): try literal("true"); lua_pushboolean(L, 1)
            case UInt8(ascii: "f"): try literal("false"); lua_pushboolean(L, 0)
            case UInt8(ascii: "n"): try literal("null"); lua_pushlightuserdata(L, nil)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number()
            default: throw fail("unexpected character '\(Character(Unicode.Scalar(base[pos])))'")
            }
        }

        mutating func literal(_ word: StaticString) throws(Failure) {
            let n = word.utf8CodeUnitCount
            guard pos + n <= count, memcmp(base + pos, word.utf8Start, n) == 0 else { throw fail("invalid literal") }
            pos += n
        }

        mutating func enter(depth: Int) throws(Failure) {
            if depth > JSONToLua.maxDepth { throw fail("JSON nested deeper than \(JSONToLua.maxDepth) levels") }
            try checkMemory()
            if lua_checkstack(L, 4) == 0 { throw fail("JSON nested too deeply for the Lua stack") }
        }

        /// The values are pushed with the allocator in "never fail" mode; checked after each one,
        /// a document too large for the memory limit stops within one value (and one table
        /// resize) of it instead of being built whole first.
        @inline(__always) func checkMemory() throws(Failure) {
            if state.pointee.exceeded != 0 { throw Failure(message: "not enough memory") }
        }

        mutating func object(depth: Int) throws(Failure) {
            try enter(depth: depth)
            pos += 1
            lua_createtable(L, 0, 0)
            skipWhitespace()
            if pos < count, base[pos] == UInt8(ascii: "}") { pos += 1; return }
            while true {
                skipWhitespace()
                guard pos < count, base[pos] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
                try string()
                skipWhitespace()
                guard pos < count, base[pos] == UInt8(ascii: ":") else { throw fail("expected ':'") }
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
                guard pos < count else { throw fail("unexpected end of JSON in an object") }
                if base[pos] == UInt8(ascii: ",") { pos += 1; continue }
                if base[pos] == UInt8(ascii: "}") { pos += 1; return }
                throw fail("expected ',' or '}'")
            }
        }

        mutating func array(depth: Int) throws(Failure) {
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
                guard pos < count else { throw fail("unexpected end of JSON in an array") }
                if base[pos] == UInt8(ascii: ",") { pos += 1; continue }
                if base[pos] == UInt8(ascii: "]") { pos += 1; return }
                throw fail("expected ',' or ']'")
            }
        }

        mutating func string() throws(Failure) {
            pos += 1
            let start = pos
            var ascii = true
            // Eight bytes at a time while none is '"', '\\' or a control character.
            while pos + 8 <= count {
                let word = UnsafeRawPointer(base + pos).loadUnaligned(as: UInt64.self)
                if SWAR.hasQuoteBackslashOrControl(word) { break }
                if word & SWAR.high != 0 { ascii = false }
                pos += 8
            }
            while pos < count {
                let c = base[pos]
                if c == UInt8(ascii: "\"") {
                    if !ascii, !UTF8Check.isValid(base + start, pos - start) { throw fail("invalid UTF-8 in a JSON string") }
                    base.withMemoryRebound(to: CChar.self, capacity: count) { _ = lua_pushlstring(L, $0 + start, pos - start) }
                    pos += 1
                    return
                }
                if c == UInt8(ascii: "\\") { break }
                if c < 0x20 { throw fail("control character in a JSON string") }
                if c >= 0x80 { ascii = false }
                pos += 1
            }
            scratch.removeAll(keepingCapacity: true)
            scratch.append(contentsOf: UnsafeBufferPointer(start: base + start, count: pos - start))
            while pos < count {
                let run = pos
                while pos + 8 <= count, !SWAR.hasQuoteBackslashOrControl(UnsafeRawPointer(base + pos).loadUnaligned(as: UInt64.self)) {
                    pos += 8
                }
                while pos < count {
                    let c = base[pos]
                    if c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") || c < 0x20 { break }
                    pos += 1
                }
                if pos > run { scratch.append(contentsOf: UnsafeBufferPointer(start: base + run, count: pos - run)) }
                guard pos < count else { break }
                let c = base[pos]
                if c == UInt8(ascii: "\"") {
                    if !UTF8Check.isValid(scratch) { throw fail("invalid UTF-8 in a JSON string") }
                    scratch.withUnsafeBufferPointer { b in
                        b.withMemoryRebound(to: CChar.self) { _ = lua_pushlstring(L, $0.baseAddress, $0.count) }
                    }
                    pos += 1
                    return
                }
                if c < 0x20 { throw fail("control character in a JSON string") }
                pos += 1
                guard pos < count else { break }
                let e = base[pos]
                pos += 1
                switch e {
                case UInt8(ascii: "\""): scratch.append(0x22)
                case UInt8(ascii: "\\"): scratch.append(0x5C)
                case UInt8(ascii: "/"): scratch.append(0x2F)
                case UInt8(ascii: "b"): scratch.append(0x08)
                case UInt8(ascii: "f"): scratch.append(0x0C)
                case UInt8(ascii: "n"): scratch.append(0x0A)
                case UInt8(ascii: "r"): scratch.append(0x0D)
                case UInt8(ascii: "t"): scratch.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if scalar >= 0xD800, scalar < 0xDC00 {
                        guard pos + 1 < count, base[pos] == UInt8(ascii: "\\"), base[pos + 1] == UInt8(ascii: "u") else {
                            throw fail("unpaired surrogate in a JSON string")
                        }
                        pos += 2
                        let low = try hex4()
                        guard low >= 0xDC00, low < 0xE000 else { throw fail("unpaired surrogate in a JSON string") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if scalar >= 0xDC00, scalar < 0xE000 {
                        throw fail("unpaired surrogate in a JSON string")
                    }
                    appendUTF8(scalar)
                default: throw fail("invalid escape '\\\(Character(Unicode.Scalar(e)))'")
                }
            }
            throw fail("unterminated string")
        }

        mutating func hex4() throws(Failure) -> UInt32 {
            guard pos + 4 <= count else { throw fail("truncated \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = base[pos]
                let d: UInt32
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - 48)
                case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - 87)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - 55)
                default: throw fail("invalid \\u escape")
                }
                v = v << 4 | d
                pos += 1
            }
            return v
        }

        mutating func appendUTF8(_ v: UInt32) {
            switch v {
            case 0..<0x80: scratch.append(UInt8(v))
            case 0x80..<0x800:
                scratch.append(UInt8(0xC0 | (v >> 6))); scratch.append(UInt8(0x80 | (v & 0x3F)))
            case 0x800..<0x10000:
                scratch.append(UInt8(0xE0 | (v >> 12))); scratch.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
                scratch.append(UInt8(0x80 | (v & 0x3F)))
            default:
                scratch.append(UInt8(0xF0 | (v >> 18))); scratch.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
                scratch.append(UInt8(0x80 | ((v >> 6) & 0x3F))); scratch.append(UInt8(0x80 | (v & 0x3F)))
            }
        }

        mutating func number() throws(Failure) {
            let start = pos
            var negative = false
            if base[pos] == UInt8(ascii: "-") { negative = true; pos += 1 }
            guard pos < count, base[pos] >= 0x30, base[pos] <= 0x39 else { throw fail("invalid number") }
            if base[pos] == 0x30, pos + 1 < count, base[pos + 1] >= 0x30, base[pos + 1] <= 0x39 {
                throw fail("invalid number (leading zero)")
            }
            var magnitude: UInt64 = 0
            var overflow = false
            while pos < count, base[pos] >= 0x30, base[pos] <= 0x39 {
                let (m1, o1) = magnitude.multipliedReportingOverflow(by: 10)
                let (m2, o2) = m1.addingReportingOverflow(UInt64(base[pos] - 0x30))
                if o1 || o2 { overflow = true }
                magnitude = m2
                pos += 1
            }
            var isFloat = false
            if pos < count, base[pos] == UInt8(ascii: ".") {
                isFloat = true
                pos += 1
                guard pos < count, base[pos] >= 0x30, base[pos] <= 0x39 else { throw fail("invalid number") }
                while pos < count, base[pos] >= 0x30, base[pos] <= 0x39 { pos += 1 }
            }
            if pos < count, base[pos] == UInt8(ascii: "e") || base[pos] == UInt8(ascii: "E") {
                isFloat = true
                pos += 1
                if pos < count, base[pos] == UInt8(ascii: "+") || base[pos] == UInt8(ascii: "-") { pos += 1 }
                guard pos < count, base[pos] >= 0x30, base[pos] <= 0x39 else { throw fail("invalid number") }
                while pos < count, base[pos] >= 0x30, base[pos] <= 0x39 { pos += 1 }
            }
            if !isFloat, !overflow {
                if !negative, magnitude <= UInt64(Int64.max) { lua_pushinteger(L, Int64(magnitude)); return }
                if negative, magnitude <= UInt64(Int64.max) + 1 { lua_pushinteger(L, magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)); return }
            }
            // Floats (and integers beyond 64 bits) go through strtod on a NUL-terminated copy.
            let length = pos - start
            let value: Double = withUnsafeTemporaryAllocation(of: CChar.self, capacity: length + 1) { buffer in
                let dst = buffer.baseAddress!
                (base + start).withMemoryRebound(to: CChar.self, capacity: length) { dst.update(from: $0, count: length) }
                dst[length] = 0
                return strtod(dst, nil)
            }
            // A number past the double range would come back as ±infinity, which has no JSON
            // form: the document could not be encoded again.
            guard value.isFinite else { throw fail("number out of range (a JSON number must be within ±1.8e308)") }
            lua_pushnumber(L, value)
        }
    }
}

/// UTF-8 validation (RFC 3629: no overlongs, no surrogates, at most U+10FFFF).
enum UTF8Check {
    static func isValid(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { isValid($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count) }
    }

    static func isValid(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        var i = 0
        while i < n {
            let c = p[i]
            if c < 0x80 {
                i += 1
                while i + 8 <= n, UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self) & SWAR.high == 0 { i += 8 }
                continue
            }
            var need = 0
            var min: UInt32 = 0
            var v: UInt32
            if c & 0xE0 == 0xC0 { need = 1; v = UInt32(c & 0x1F); min = 0x80 }
            else if c & 0xF0 == 0xE0 { need = 2; v = UInt32(c & 0x0F); min = 0x800 }
            else if c & 0xF8 == 0xF0 { need = 3; v = UInt32(c & 0x07); min = 0x10000 }
            else { return false }
            if i + need >= n { return false }
            for k in 1...need {
                let cc = p[i + k]
                if cc & 0xC0 != 0x80 { return false }
                v = v << 6 | UInt32(cc & 0x3F)
            }
            if v < min || v > 0x10FFFF || (v >= 0xD800 && v < 0xE000) { return false }
            i += need + 1
        }
        return true
    }
}

/// Word-at-a-time byte tests (eight bytes in a `UInt64`).
enum SWAR {
    static let ones: UInt64 = 0x0101_0101_0101_0101
    static let high: UInt64 = 0x8080_8080_8080_8080

    /// True when some byte of `word` is zero.
    @inline(__always) static func hasZero(_ word: UInt64) -> Bool { (word &- ones) & ~word & high != 0 }

    /// True when some byte of `word` is '"', '\\' or below 0x20.
    @inline(__always) static func hasQuoteBackslashOrControl(_ word: UInt64) -> Bool {
        hasZero(word ^ (ones &* 0x22)) || hasZero(word ^ (ones &* 0x5C)) || (word &- ones &* 0x20) & ~word & high != 0
    }
}
