/// The longest valid JSON that keeps the start of a longer (or unfinished) JSON text: whole
/// members only, the open arrays and objects closed, at most `maxBytes` in all. An envelope's
/// result is cut here, after the encoder stopped at the cap, so an agent gets the first rows of
/// a 200,000-row table as JSON it can read, not an error.
public enum JSONPrefix {
    /// `text` (JSON as the encoder writes it: no whitespace, possibly unfinished) cut to at
    /// most `maxBytes`; nil when not even an empty container fits (or `text` is not one).
    ///
    /// The cut is made as shallow as it can be while keeping at least half the room: a list of
    /// rows loses whole rows rather than ending in half a row that looks whole.
    public static func cut(_ text: [UInt8], maxBytes: Int) -> [UInt8]? {
        guard let first = text.first, first == UInt8(ascii: "[") || first == UInt8(ascii: "{") else { return nil }
        var stack: [UInt8] = []
        /// At each depth, the last place the text may end there, and the closers it then needs.
        var safe: [Int: (end: Int, closers: [UInt8])] = [:]
        var inString = false
        var escaped = false
        let limit = min(text.count, maxBytes)
        func closers() -> [UInt8] {
            stack.reversed().map { $0 == UInt8(ascii: "[") ? UInt8(ascii: "]") : UInt8(ascii: "}") }
        }
        func mark(_ end: Int) {
            if end + stack.count <= maxBytes { safe[stack.count] = (end, closers()) }
        }
        var i = 0
        while i < limit {
            let c = text[i]
            if inString {
                if escaped { escaped = false } else if c == UInt8(ascii: "\\") { escaped = true } else if c == UInt8(ascii: "\"") { inString = false }
                i += 1
                continue
            }
            switch c {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                stack.append(c)
                mark(i + 1)
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                stack.removeLast()
                if stack.isEmpty { return Array(text[...i]) }
                mark(i + 1)
            case UInt8(ascii: ","):
                mark(i)
            default: break
            }
            i += 1
        }
        let depths = safe.keys.sorted()
        guard let latest = depths.max(by: { (safe[$0]?.end ?? 0) < (safe[$1]?.end ?? 0) }) else { return nil }
        let chosen = depths.first { (safe[$0]?.end ?? 0) * 2 >= limit } ?? latest
        guard let point = safe[chosen] else { return nil }
        return Array(text[..<point.end]) + point.closers
    }

    /// The longest start of `bytes` (whole UTF-8 characters) whose JSON string, quotes and
    /// escapes included, takes at most `maxBytes`; `bytes` itself when it fits.
    public static func stringPrefix(_ bytes: [UInt8], maxBytes: Int) -> [UInt8] {
        var length = 2
        var end = 0
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            // A character's bytes: the lead byte says how many (a stray byte counts as one).
            let width = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1
            let escaped = c == 0x22 || c == 0x5C || c == 0x0A || c == 0x0D || c == 0x09 ? 2 : c < 0x20 ? 6 : width
            if length + escaped > maxBytes { break }
            length += escaped
            i = min(bytes.count, i + width)
            end = i
        }
        return end == bytes.count ? bytes : Array(bytes[..<end])
    }
}
