import Foundation

/// Timestamps in the service's own format: RFC 3339 UTC with microseconds ("2023-08-16T18:57:12.170420Z").
enum Timestamp {
    static func string(_ date: Date) -> String {
        // Years 1 to 9999, the format's own range: a date past it (from a client's number) is
        // shown at the edge rather than converted with a trap.
        let raw = date.timeIntervalSince1970
        let t = raw.isFinite ? min(max(raw, -62_135_596_800), 253_402_300_799) : 0
        var secs = time_t(t.rounded(.down))
        let micros = Int(((t - Double(secs)) * 1_000_000).rounded(.down))
        var tmv = tm()
        gmtime_r(&secs, &tmv)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
            Int(tmv.tm_year) + 1900, Int(tmv.tm_mon) + 1, Int(tmv.tm_mday),
            Int(tmv.tm_hour), Int(tmv.tm_min), Int(tmv.tm_sec), micros)
    }

    /// Parses the formats the API accepts in queries (`created_after`): RFC 3339 with or without fraction.
    static func parse(_ s: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: s) { return d }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: s)
    }
}

/// Identifier shapes copied from the service: predictions use 26 lowercase base32 characters,
/// versions 64 hex digits, files a base64 string.
enum IDs {
    private static let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")

    static func prediction() -> String {
        var g = SystemRandomNumberGenerator()
        return String((0..<26).map { _ in alphabet[Int(g.next() % UInt64(alphabet.count))] })
    }

    static func hex(_ count: Int) -> String {
        var g = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdef")
        return String((0..<count).map { _ in digits[Int(g.next() % 16)] })
    }

    static func file() -> String {
        Data(UUID().uuidString.lowercased().utf8).base64EncodedString()
            .replacingOccurrences(of: "=", with: "")
    }
}

/// Minimal percent-decoding of query strings (Hummingbird gives us the raw query).
func parseQuery(_ query: String?) -> [String: String] {
    guard let query, !query.isEmpty else { return [:] }
    var out: [String: String] = [:]
    for pair in query.split(separator: "&") {
        let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        let key = String(parts[0]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(parts[0])
        let raw = parts.count > 1 ? String(parts[1]) : ""
        out[key] = raw.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? raw
    }
    return out
}

func percentEncode(_ s: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
}
