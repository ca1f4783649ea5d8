import Foundation

/// A JSON number as read: an integer when it has no fraction or exponent and fits `Int64`, a
/// float otherwise.
public enum JSONNumber: Sendable, Equatable {
    case integer(Int64)
    case double(Double)
}

/// How JSON is read, token by token: whitespace, literals, strings (escapes, surrogate pairs,
/// UTF-8), numbers (their grammar and range). Both readers — `JSONParser`, which builds
/// `JSONValue`, and the Lua host's reader, which pushes Lua values — take every token through
/// these, so they accept the same texts and fail with the same `JSONError.Problem`.
///
/// Each function reads the `count` bytes at `base` from `pos` and leaves `pos` after what it
/// read, or at the byte that was wrong when it throws. The token readers are inlined into each
/// reader (`@inlinable @inline(__always)`): the Lua reader is on the path of `json.decode` and
/// of every response, and a call into another module per token would cost it.
public enum JSONScan {
    /// Where the first value may start: after a UTF-8 byte order mark, which RFC 8259 lets a
    /// reader ignore.
    @inlinable
    public static func documentStart(_ base: UnsafePointer<UInt8>, _ count: Int) -> Int {
        count >= 3 && base[0] == 0xEF && base[1] == 0xBB && base[2] == 0xBF ? 3 : 0
    }

    @inlinable @inline(__always)
    public static func skipWhitespace(_ base: UnsafePointer<UInt8>, _ count: Int, _ pos: inout Int) {
        while pos < count {
            let c = base[pos]
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { pos += 1 } else { return }
        }
    }

    /// Reads `word` (`true`, `false`, `null`) at `pos`.
    @inlinable @inline(__always)
    public static func literal(_ word: StaticString, _ base: UnsafePointer<UInt8>, _ count: Int, _ pos: inout Int) throws(JSONError.Problem) {
        let n = word.utf8CodeUnitCount
        guard pos + n <= count, memcmp(base + pos, word.utf8Start, n) == 0 else { throw .invalidLiteral }
        pos += n
    }

    /// Where a string's bytes are once read.
    public enum StringBytes: Sendable {
        /// In the text itself (the string had no escapes): `count` bytes from offset `start`.
        case inPlace(start: Int, count: Int)
        /// In the scratch buffer, unescaped.
        case unescaped
    }

    /// Reads the string whose opening quote is at `pos`. Its bytes are checked to be UTF-8 and
    /// free of raw control characters; escapes are decoded into `scratch` (a `\u` high surrogate
    /// must be followed by an escaped low one).
    @inlinable @inline(__always)
    public static func string(_ base: UnsafePointer<UInt8>, _ count: Int, _ pos: inout Int, scratch: inout [UInt8]) throws(JSONError.Problem) -> StringBytes {
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
            if c == 0x22 {
                if !ascii, !UTF8Check.isValid(base + start, pos - start) { throw .invalidUTF8 }
                pos += 1
                return .inPlace(start: start, count: pos - 1 - start)
            }
            if c == 0x5C { break }
            if c < 0x20 { throw .controlCharacter }
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
                if c == 0x22 || c == 0x5C || c < 0x20 { break }
                pos += 1
            }
            if pos > run { scratch.append(contentsOf: UnsafeBufferPointer(start: base + run, count: pos - run)) }
            guard pos < count else { break }
            let c = base[pos]
            if c == 0x22 {
                if !UTF8Check.isValid(scratch) { throw .invalidUTF8 }
                pos += 1
                return .unescaped
            }
            if c < 0x20 { throw .controlCharacter }
            pos += 1
            guard pos < count else { break }
            let e = base[pos]
            pos += 1
            switch e {
            case 0x22: scratch.append(0x22)
            case 0x5C: scratch.append(0x5C)
            case UInt8(ascii: "/"): scratch.append(0x2F)
            case UInt8(ascii: "b"): scratch.append(0x08)
            case UInt8(ascii: "f"): scratch.append(0x0C)
            case UInt8(ascii: "n"): scratch.append(0x0A)
            case UInt8(ascii: "r"): scratch.append(0x0D)
            case UInt8(ascii: "t"): scratch.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4(base, count, &pos)
                if scalar >= 0xD800, scalar < 0xDC00 {
                    guard pos + 1 < count, base[pos] == 0x5C, base[pos + 1] == UInt8(ascii: "u") else { throw .unpairedSurrogate }
                    pos += 2
                    let low = try hex4(base, count, &pos)
                    guard low >= 0xDC00, low < 0xE000 else { throw .unpairedSurrogate }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if scalar >= 0xDC00, scalar < 0xE000 {
                    throw .unpairedSurrogate
                }
                appendUTF8(scalar, to: &scratch)
            default:
                pos -= 1
                throw .invalidEscape(e)
            }
        }
        throw .unterminatedString
    }

    @inlinable
    static func hex4(_ base: UnsafePointer<UInt8>, _ count: Int, _ pos: inout Int) throws(JSONError.Problem) -> UInt32 {
        guard pos + 4 <= count else { throw .invalidUnicodeEscape }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = base[pos]
            let d: UInt32
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = UInt32(c - 48)
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = UInt32(c - 87)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = UInt32(c - 55)
            default: throw .invalidUnicodeEscape
            }
            v = v << 4 | d
            pos += 1
        }
        return v
    }

    /// Appends scalar `v` (at most U+10FFFF, not a surrogate) as UTF-8.
    @inlinable
    static func appendUTF8(_ v: UInt32, to out: inout [UInt8]) {
        switch v {
        case 0..<0x80: out.append(UInt8(v))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | (v >> 6))); out.append(UInt8(0x80 | (v & 0x3F)))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | (v >> 12))); out.append(UInt8(0x80 | ((v >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (v & 0x3F)))
        default:
            out.append(UInt8(0xF0 | (v >> 18))); out.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
            out.append(UInt8(0x80 | ((v >> 6) & 0x3F))); out.append(UInt8(0x80 | (v & 0x3F)))
        }
    }

    /// Reads the number at `pos` (RFC 8259's grammar: no leading zeros, no `+`, no bare `.`).
    /// A number beyond the double range (which would read as infinity, with no JSON form to
    /// write it back) is an error.
    @inlinable @inline(__always)
    public static func number(_ base: UnsafePointer<UInt8>, _ count: Int, _ pos: inout Int) throws(JSONError.Problem) -> JSONNumber {
        let start = pos
        var negative = false
        if base[pos] == UInt8(ascii: "-") { negative = true; pos += 1 }
        guard pos < count, base[pos] >= 0x30, base[pos] <= 0x39 else { throw .invalidNumber }
        if base[pos] == 0x30, pos + 1 < count, base[pos + 1] >= 0x30, base[pos + 1] <= 0x39 { throw .leadingZero }
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
            guard pos < count, base[pos] >= 0x30, base[pos] <= 0x39 else { throw .invalidNumber }
            while pos < count, base[pos] >= 0x30, base[pos] <= 0x39 { pos += 1 }
        }
        if pos < count, base[pos] == UInt8(ascii: "e") || base[pos] == UInt8(ascii: "E") {
            isFloat = true
            pos += 1
            if pos < count, base[pos] == UInt8(ascii: "+") || base[pos] == UInt8(ascii: "-") { pos += 1 }
            guard pos < count, base[pos] >= 0x30, base[pos] <= 0x39 else { throw .invalidNumber }
            while pos < count, base[pos] >= 0x30, base[pos] <= 0x39 { pos += 1 }
        }
        if !isFloat, !overflow {
            if !negative, magnitude <= UInt64(Int64.max) { return .integer(Int64(magnitude)) }
            if negative, magnitude <= UInt64(Int64.max) + 1 {
                return .integer(magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude))
            }
        }
        guard let value = parseDouble(base + start, pos - start), value.isFinite else {
            pos = start  // the error points at the number, not past it
            throw .numberOutOfRange
        }
        return .double(value)
    }

    /// The double the `length` bytes at `p` (a number `number` has checked) spell. Through
    /// `strtod` on a NUL-terminated copy; a C locale whose decimal point is not `.` (a script
    /// may call `os.setlocale`) stops `strtod` early, and the text is then read by Swift's
    /// locale-independent reader instead.
    @usableFromInline
    static func parseDouble(_ p: UnsafePointer<UInt8>, _ length: Int) -> Double? {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: length + 1) { buffer -> Double? in
            guard let dst = buffer.baseAddress else { return nil }
            p.withMemoryRebound(to: CChar.self, capacity: length) { dst.update(from: $0, count: length) }
            dst[length] = 0
            var end: UnsafeMutablePointer<CChar>? = nil
            let value = strtod(dst, &end)
            if end == dst + length { return value }
            return Double(String(decoding: UnsafeBufferPointer(start: p, count: length), as: UTF8.self))
        }
    }
}
