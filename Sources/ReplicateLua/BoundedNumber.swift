import Foundation

/// A number that comes from outside the process (a command-line flag, a config file value, an
/// MCP tool argument) checked against its allowed range before it becomes a typed value.
///
/// Every such number goes through one of these: a conversion such as `Int(someDouble)` traps on
/// NaN, infinity or a value beyond the type's range, and a value too small to count (`--memory
/// 1e-7`) would round to 0, which the limits read as "unlimited". Checked here, either becomes a
/// clear error naming the range instead.
public struct BoundedNumber: Sendable, Equatable {
    /// What the number is, as the error names it: "a positive number of seconds".
    public let what: String
    /// The smallest value allowed.
    public let minimum: Double
    /// The largest value allowed. Below 2^53, so every whole value converts to `Int` exactly.
    public let maximum: Double
    /// Whether only whole numbers are allowed (counts).
    public let whole: Bool

    public init(_ what: String, _ range: ClosedRange<Double>, whole: Bool = false) {
        self.what = what
        minimum = range.lowerBound
        maximum = range.upperBound
        self.whole = whole
    }

    // MARK: The numbers kosmo-lua takes

    /// `--timeout`, `timeout_seconds`: a millisecond to a day.
    public static let timeoutSeconds = BoundedNumber("a positive number of seconds", 0.001...86_400)
    /// `--memory`, `memory_mb`: 1 MiB (what a VM with the replicate table needs to start) to 1 TiB.
    public static let memoryMB = BoundedNumber("a positive number of megabytes", 1...1_048_576)
    /// `--instructions`, `instructions`: counted in steps of the hook interval (1,000), so a
    /// smaller value still allows one step.
    public static let instructions = BoundedNumber("a positive whole number of VM instructions", 1...1e15, whole: true)
    /// `--output-limit`, `output_limit_bytes`: printed output kept, at most 16 MiB.
    public static let outputBytes = BoundedNumber("a positive number of bytes", 1...16_777_216, whole: true)
    /// `--max-predictions`, `[permissions] max_predictions`: 0 forbids creating any.
    public static let maxPredictions = BoundedNumber("a whole number (0 or more)", 0...1_000_000, whole: true)
    /// `--max-predict-seconds`, `[permissions] max_predict_seconds`: predict time in seconds,
    /// up to a year; 0 forbids creating any.
    public static let maxPredictSeconds = BoundedNumber("a number of seconds (0 or more)", 0...31_536_000)
    /// `mcp --session-idle`: a second to a day.
    public static let sessionIdleSeconds = BoundedNumber("a positive number of seconds", 1...86_400)
    /// `mcp --max-sessions`.
    public static let maxSessions = BoundedNumber("a whole number of sessions", 1...64, whole: true)
    /// `--rate-creates`, `--rate-requests`, `[replicate] rate_creates` / `rate_requests`:
    /// requests a minute; 0 sends that class unpaced.
    public static let perMinute = BoundedNumber("a whole number of requests a minute (0: unpaced)", 0...100_000, whole: true)
    /// `--rate-window`, `[replicate] rate_window`, `kosmo-lua sim --rate-window`: the seconds
    /// rate limits count over.
    public static let rateWindow = BoundedNumber("a number of seconds", 1...3_600)
    /// `search_functions`' `limit`.
    public static let searchResults = BoundedNumber("a whole number of results", 1...100, whole: true)

    // MARK: Checking

    /// `value` when it is within the range (and whole, if it must be); otherwise an error that
    /// names `name`, what was given (`shown`, else the value) and the range.
    public func check(_ value: Double, name: String, shown: String? = nil) throws(BoundedNumberError) -> Double {
        let inRange = value.isFinite && value >= minimum && value <= maximum
        guard inRange, !whole || value == value.rounded() else {
            throw error(name: name, shown: shown ?? Self.text(of: value))
        }
        return value
    }

    /// The number written in `text` (as a flag's value), checked.
    public func parse(_ text: String, name: String) throws(BoundedNumberError) -> Double {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        // Only decimal spellings: Double(_:) also reads "nan", "inf" and hexadecimal floats.
        guard !trimmed.isEmpty, trimmed.allSatisfy({ $0.isASCII && ($0.isNumber || "+-.eE".contains($0)) }),
              let value = Double(trimmed) else {
            throw error(name: name, shown: "'\(text)'")
        }
        return try check(value, name: name, shown: "'\(text)'")
    }

    /// A checked value as an `Int` (exact: the range keeps whole values below 2^53).
    public func integer(_ value: Double, name: String, shown: String? = nil) throws(BoundedNumberError) -> Int {
        let checked = try check(value, name: name, shown: shown)
        return Int(checked.rounded(.down))
    }

    /// The error for a value that is not allowed.
    public func error(name: String, shown: String) -> BoundedNumberError {
        BoundedNumberError("'\(name)' needs \(what), got \(shown) (\(rangeText))")
    }

    /// "it must be between 1 and 100".
    public var rangeText: String {
        "it must be between \(Self.text(of: minimum)) and \(Self.text(of: maximum))"
    }

    /// A number as people write it: `86400`, `0.001`, `1e+20`, `NaN`.
    public static func text(of value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-infinity" : "infinity" }
        if value == value.rounded(), abs(value) <= 1e15 { return String(Int64(value)) }
        return String(value)
    }
}

/// A number outside its allowed range; the message names the range.
public struct BoundedNumberError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
