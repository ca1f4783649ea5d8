/// UTF-8 validation as JSON needs it (RFC 3629: no overlong forms, no surrogates, nothing past
/// U+10FFFF): the one check every JSON reader and writer makes of a string's bytes.
public enum UTF8Check {
    /// Whether `bytes` are valid UTF-8.
    @inlinable
    public static func isValid(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return true }
            return isValid(base, buffer.count)
        }
    }

    /// Whether the `n` bytes at `p` are valid UTF-8. ASCII runs are skipped eight bytes at a time.
    @inlinable
    public static func isValid(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
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

/// Word-at-a-time byte tests (eight bytes in a `UInt64`), for the readers' and writers' scans.
public enum SWAR {
    // Computed, not stored: a stored constant read from another module's inlined code would
    // go through its lazy initialiser on every use.
    @inlinable public static var ones: UInt64 { 0x0101_0101_0101_0101 }
    @inlinable public static var high: UInt64 { 0x8080_8080_8080_8080 }

    /// True when some byte of `word` is zero.
    @inlinable @inline(__always)
    public static func hasZero(_ word: UInt64) -> Bool { (word &- ones) & ~word & high != 0 }

    /// True when some byte of `word` is '"', '\\' or below 0x20: a byte a JSON string cannot
    /// hold as it is.
    @inlinable @inline(__always)
    public static func hasQuoteBackslashOrControl(_ word: UInt64) -> Bool {
        hasZero(word ^ (ones &* 0x22)) || hasZero(word ^ (ones &* 0x5C)) || (word &- ones &* 0x20) & ~word & high != 0
    }
}
