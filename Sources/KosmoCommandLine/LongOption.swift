import ReplicateLua

/// One `--name` or `--name=value` argument, and how its value is read: the part after `=`, or
/// else the next argument. Every command's option parser reads its long options this way, so
/// `--memory 64` and `--memory=64` mean the same everywhere and give the same errors.
public struct LongOption: Sendable {
    /// The option's name, without the dashes and without any `=value`.
    public let name: String
    private let inlineValue: String?

    /// Splits `argument` (which starts with `--`) into its name and any inline value.
    public init(_ argument: String) {
        let text = String(argument.dropFirst(2))
        if let equals = text.firstIndex(of: "=") {
            name = String(text[..<equals])
            inlineValue = String(text[text.index(after: equals)...])
        } else {
            name = text
            inlineValue = nil
        }
    }

    /// The option's value: the inline one, or else `arguments[i + 1]` (and `i` moves onto it).
    /// With neither, `failure` makes the parser's own error from the message.
    public func value<Failure: Error>(
        _ arguments: [String], _ i: inout Int, orThrow failure: (String) -> Failure
    ) throws(Failure) -> String {
        if let inlineValue { return inlineValue }
        i += 1
        guard i < arguments.count else { throw failure("'--\(name)' needs a value") }
        return arguments[i]
    }

    /// The option's value as a number within `bound`; a missing value or one out of range
    /// becomes the parser's own error through `failure`.
    public func number<Failure: Error>(
        _ bound: BoundedNumber, _ arguments: [String], _ i: inout Int, orThrow failure: (String) -> Failure
    ) throws(Failure) -> Double {
        let text = try value(arguments, &i, orThrow: failure)
        do { return try bound.parse(text, name: "--\(name)") } catch { throw failure(error.message) }
    }
}
