import Foundation

/// ISO 8601 times as the run log writes them and as the API sends them (`2026-01-02T03:04:05.123456Z`;
/// the API's fractions vary from none to nine digits, which `ISO8601DateFormatter` cannot read).
enum Timestamps {
    /// `date` in UTC with milliseconds.
    static func text(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    /// Reads `2026-01-02T03:04:05Z`, with any number of fraction digits and a `Z` or `±hh:mm`
    /// offset; nil for anything else.
    static func date(_ text: String) -> Date? {
        var whole = text
        var fraction = 0.0
        if let dot = text.firstIndex(of: ".") {
            let afterDot = text[text.index(after: dot)...]
            let digits = afterDot.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty else { return nil }
            fraction = Double("0." + digits) ?? 0
            whole = String(text[..<dot]) + String(afterDot.dropFirst(digits.count))
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: whole).map { $0.addingTimeInterval(fraction) }
    }
}
