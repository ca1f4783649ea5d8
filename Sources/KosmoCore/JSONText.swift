import Foundation

/// How far JSON may nest, per reader. Two limits because the values differ: a Lua table is
/// walked with the C stack and each level costs Lua stack slots, while a `JSONValue` document
/// (a response, an envelope wrapping a script's result) may be a few levels deeper than any
/// Lua value it carries.
public enum JSONLimits {
    /// Levels of tables `json.decode` builds and `json.encode` walks.
    public static let luaDepth = 200
    /// Levels of arrays and objects `JSONValue(parsing:)` reads.
    public static let documentDepth = 512
}

/// How JSON is written: the escapes, and the text of numbers. Every writer (`JSONValue.encoded()`,
/// `json.encode`) uses these, and the walker that makes Lua values into `JSONValue` counts text
/// with them, so all agree byte for byte.
public enum JSONText {
    /// Whether byte `c` of a string must be escaped.
    @inlinable @inline(__always)
    public static func needsEscape(_ c: UInt8) -> Bool { c < 0x20 || c == 0x22 || c == 0x5C }

    /// Appends the `n` bytes at `p` as a quoted JSON string. The caller has checked that they
    /// are UTF-8 (`UTF8Check`). `"` and `\` are escaped, the control characters with their short
    /// escapes (`\n`, `\r`, `\t`, `\b`, `\f`) or as `\u00XX`; everything else is copied as it is.
    @inlinable
    public static func appendString(_ p: UnsafePointer<UInt8>, _ n: Int, to out: inout [UInt8]) {
        out.append(0x22)
        var runStart = 0
        var i = 0
        while i < n {
            let c = p[i]
            if !needsEscape(c) { i += 1; continue }
            if i > runStart { out.append(contentsOf: UnsafeBufferPointer(start: p + runStart, count: i - runStart)) }
            appendEscape(c, to: &out)
            i += 1
            runStart = i
        }
        if n > runStart { out.append(contentsOf: UnsafeBufferPointer(start: p + runStart, count: n - runStart)) }
        out.append(0x22)
    }

    /// Bytes `appendString` writes for the `n` bytes at `p` (quotes included).
    @inlinable
    public static func stringLength(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int {
        var length = n + 2
        for i in 0..<n where needsEscape(p[i]) { length += escapeLength(p[i]) - 1 }
        return length
    }

    @usableFromInline
    static func escapeLength(_ c: UInt8) -> Int {
        switch c {
        case 0x22, 0x5C, 0x0A, 0x0D, 0x09, 0x08, 0x0C: return 2
        default: return 6
        }
    }

    @usableFromInline
    static func appendEscape(_ c: UInt8, to out: inout [UInt8]) {
        switch c {
        case 0x22: out.append(0x5C); out.append(0x22)
        case 0x5C: out.append(0x5C); out.append(0x5C)
        case 0x0A: out.append(0x5C); out.append(UInt8(ascii: "n"))
        case 0x0D: out.append(0x5C); out.append(UInt8(ascii: "r"))
        case 0x09: out.append(0x5C); out.append(UInt8(ascii: "t"))
        case 0x08: out.append(0x5C); out.append(UInt8(ascii: "b"))
        case 0x0C: out.append(0x5C); out.append(UInt8(ascii: "f"))
        default:
            let hex: StaticString = "0123456789abcdef"
            out.append(0x5C); out.append(UInt8(ascii: "u")); out.append(UInt8(ascii: "0")); out.append(UInt8(ascii: "0"))
            out.append(hex.utf8Start[Int(c >> 4)])
            out.append(hex.utf8Start[Int(c & 0xF)])
        }
    }

    /// Appends a Swift string as a quoted JSON string (Swift strings are always UTF-8).
    public static func appendString(_ s: String, to out: inout [UInt8]) {
        var s = s
        s.withUTF8 { buffer in
            guard let base = buffer.baseAddress else { out.append(contentsOf: [0x22, 0x22]); return }
            appendString(base, buffer.count, to: &out)
        }
    }

    /// Appends an integer in decimal.
    @inlinable
    public static func appendInteger(_ i: Int64, to out: inout [UInt8]) {
        out.append(contentsOf: String(i).utf8)
    }

    /// The text of a float: a whole number below 10^16 keeps a `.0` so it reads back as a float
    /// and not an integer (`2.0`, `-0.0`); any other the shortest text that reads back exactly
    /// (`0.1`, `1e+16`). NaN and the infinities have no JSON form.
    public static func doubleText(_ d: Double) throws(JSONError.Problem) -> String {
        guard d.isFinite else { throw .notFinite(d) }
        if d == d.rounded(), abs(d) < 1e16 {
            if d == 0 { return d.sign == .minus ? "-0.0" : "0.0" }
            // Exact: |d| < 10^16 is well inside Int64.
            return String(Int64(d)) + ".0"
        }
        return d.description
    }

    /// Appends `doubleText(d)`.
    public static func appendDouble(_ d: Double, to out: inout [UInt8]) throws(JSONError.Problem) {
        out.append(contentsOf: try doubleText(d).utf8)
    }

    /// Bytes `appendInteger` writes.
    public static func integerLength(_ i: Int64) -> Int {
        var length = i < 0 ? 2 : 1
        var rest = i.magnitude / 10
        while rest > 0 { length += 1; rest /= 10 }
        return length
    }
}
