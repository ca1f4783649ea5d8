import Foundation

/// What class of failure an error is: the one vocabulary of error kinds users see, as the
/// `kind` of a Lua error table, an envelope's `error.kind` and a call log record's `error`.
///
/// It lives here, in the module every layer that reports errors depends on (all but `LuaHost`),
/// so each names kinds with it: the client's own errors are the first five (`ReplicateError.Kind`,
/// mapped by `errorKind`); the Lua host keeps its VM-level `RunError.Kind` and the word it
/// recorded for a raised table, which `ErrorKind(_: RunError)` (ReplicateLua) maps once. The raw
/// values are the words written out, so they never change.
public enum ErrorKind: String, Sendable, CaseIterable {
    /// The API answered with a non-success status.
    case http
    /// The connection failed (refused, reset, DNS, TLS).
    case network
    /// A deadline passed: connect, request, `wait` or stream.
    case timeout
    /// A prediction or training ended as failed, canceled or aborted.
    case model
    /// Bad input caught before anything was sent, or a response that could not be read.
    case validation
    /// The permission policy or the sandbox refused.
    case permission
    /// A limit ended the call or the run: memory, instructions, time, output, the spend guard.
    case limit
    /// An error raised by the script (or by Lua on its behalf), or one no other kind describes.
    case runtime
    /// The chunk did not compile.
    case syntax
    /// Ctrl-C, or the client cancelled the execution.
    case interrupted
    /// The command was used wrongly (a bad flag or argument, an unreadable file).
    case usage
    /// A setting in the environment or the config file is wrong.
    case config

    /// The kind `text` names; an unknown word (read back from another build's output) is
    /// `runtime`, the kind of any error this build cannot classify.
    public init(reading text: String) {
        self = ErrorKind(rawValue: text) ?? .runtime
    }
}

/// The one error type of the client.
///
/// `kind` says what went wrong; for `.http` the RFC 7807 fields of the API's problem document
/// are copied out; for `.model` the failed, canceled or aborted prediction is attached.
/// `description` is always a single line and never contains the API token.
public struct ReplicateError: Error, Sendable, CustomStringConvertible, LocalizedError {
    /// What class of failure this is.
    public enum Kind: String, Sendable {
        /// The API answered with a non-success status.
        case http
        /// The connection failed (refused, reset, DNS, TLS).
        case network
        /// A deadline passed: connect, request, `wait` or stream.
        case timeout
        /// The prediction or training ended as failed, canceled or aborted.
        case model
        /// Bad input caught before anything was sent, or a response that could not be read.
        case validation

        /// The same kind in the vocabulary every layer shares.
        public var errorKind: ErrorKind {
            switch self {
            case .http: return .http
            case .network: return .network
            case .timeout: return .timeout
            case .model: return .model
            case .validation: return .validation
            }
        }
    }

    public var kind: Kind
    /// HTTP status for `.http` errors (and for `.model` errors the prediction's is not HTTP: nil).
    public var status: Int?
    /// RFC 7807 `title`.
    public var title: String?
    /// RFC 7807 `detail`.
    public var detail: String?
    /// RFC 7807 `type`.
    public var type: String?
    /// RFC 7807 `instance`.
    public var instance: String?
    /// The prediction (or training) JSON for `.model` errors.
    public var prediction: JSONValue?
    /// The catalog operation that failed, when known (e.g. `get_model`).
    public var operation: String?
    /// Seconds the server asked us to wait (429/503 `Retry-After`), when given.
    public var retryAfter: TimeInterval?
    /// Human-readable summary, one line.
    public var message: String

    public init(
        kind: Kind, message: String, status: Int? = nil, title: String? = nil, detail: String? = nil,
        type: String? = nil, instance: String? = nil, prediction: JSONValue? = nil, operation: String? = nil,
        retryAfter: TimeInterval? = nil
    ) {
        self.kind = kind
        self.message = ReplicateError.oneLine(message)
        self.status = status
        self.title = title.map(ReplicateError.oneLine)
        self.detail = detail.map(ReplicateError.oneLine)
        self.type = type
        self.instance = instance
        self.prediction = prediction
        self.operation = operation
        self.retryAfter = retryAfter
    }

    /// `replicate: <kind> error[ in <operation>]: <message>`, on one line.
    public var description: String {
        var s = "replicate: \(kind.rawValue) error"
        if let operation { s += " in \(operation)" }
        s += ": " + message
        return ReplicateError.oneLine(s)
    }

    public var errorDescription: String? { description }

    /// Builds an `.http` error from a response, reading a problem+json (or any JSON) body.
    static func http(status: Int, body: Data, headers: [(String, String)], operation: String?) -> ReplicateError {
        var title: String?
        var detail: String?
        var type: String?
        var instance: String?
        if let json = try? JSONValue(parsing: body) {
            title = json["title"]?.stringValue
            detail = json["detail"]?.stringValue ?? json["error"]?.stringValue
            type = json["type"]?.stringValue
            instance = json["instance"]?.stringValue
        } else if let summary = htmlSummary(body, headers: headers) {
            // A proxy's or load balancer's error page: its title says what happened; the markup
            // would only bury it.
            detail = summary
        } else if !body.isEmpty {
            // Lossy: a cut in the middle of a UTF-8 sequence must not lose the whole text.
            detail = String(decoding: body.prefix(300), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        var message = "HTTP \(status)"
        if let title, !title.isEmpty { message += " \(title)" }
        if let detail, !detail.isEmpty { message += ": \(detail)" }
        let retryAfter = headers.first { $0.0.lowercased() == "retry-after" }.flatMap { RetryPolicy.parseRetryAfter($0.1, now: Date()) }
        return ReplicateError(
            kind: .http, message: message, status: status, title: title, detail: detail, type: type,
            instance: instance, operation: operation, retryAfter: retryAfter)
    }

    /// For an HTML body: `<title>` (else the first `<h1>`, else the text without tags), short,
    /// followed by a note that this is not the API's answer. Nil when the body is not HTML.
    static func htmlSummary(_ body: Data, headers: [(String, String)]) -> String? {
        let contentType = headers.first { $0.0.lowercased() == "content-type" }?.1.lowercased() ?? ""
        let text = String(decoding: body.prefix(64 * 1024), as: UTF8.self)
        let start = text.drop { $0.isWhitespace }.prefix(15).lowercased()
        guard contentType.contains("html") || start.hasPrefix("<!doctype html") || start.hasPrefix("<html") else { return nil }
        func element(_ name: String) -> String? {
            guard let open = text.range(of: "<\(name)", options: .caseInsensitive),
                  let openEnd = text[open.upperBound...].firstIndex(of: ">"),
                  let close = text.range(of: "</\(name)>", options: .caseInsensitive, range: text.index(after: openEnd)..<text.endIndex)
            else { return nil }
            return String(text[text.index(after: openEnd)..<close.lowerBound])
        }
        var plain = element("title") ?? element("h1") ?? text
        while let tag = plain.range(of: "<[^>]*>", options: .regularExpression) { plain.replaceSubrange(tag, with: " ") }
        let words = plain.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
        let summary = words.count > 200 ? String(words.prefix(200)) + "…" : words
        return (summary.isEmpty ? "" : summary + " ") + "(an HTML page, not a response from the API)"
    }

    /// An error for a prediction or training that ended without success.
    public static func model(_ prediction: JSONValue, operation: String? = nil) -> ReplicateError {
        let id = prediction["id"]?.stringValue ?? "?"
        let status = prediction["status"]?.stringValue ?? "unknown"
        var message = "prediction \(id) \(status)"
        if let err = prediction["error"], !err.isNull {
            message += ": " + (err.stringValue ?? err.description)
        }
        return ReplicateError(kind: .model, message: message, prediction: prediction, operation: operation)
    }

    /// The shortest token redacted from errors; Replicate's tokens are 40 characters.
    static let minimumRedacted = 8

    static func validation(_ message: String, operation: String? = nil) -> ReplicateError {
        ReplicateError(kind: .validation, message: message, operation: operation)
    }

    /// Replaces every occurrence of `secret` in the textual fields. Applied by the client to
    /// every error it throws, so a server or library that echoes the token cannot leak it. A
    /// token shorter than `minimumRedacted` is no issued secret (the simulator takes any, such
    /// as `x`), and replacing it would rewrite ordinary words ("Mod[REDACTED]l not found").
    func redacting(_ secret: String?) -> ReplicateError {
        guard let secret, secret.count >= Self.minimumRedacted else { return self }
        func scrub(_ s: String?) -> String? { s?.replacingOccurrences(of: secret, with: "[REDACTED]") }
        var copy = self
        copy.message = scrub(message) ?? ""
        copy.title = scrub(title)
        copy.detail = scrub(detail)
        copy.type = scrub(type)
        copy.instance = scrub(instance)
        if let p = prediction, let text = try? p.encodedString(), text.contains(secret) {
            copy.prediction = (try? JSONValue(parsing: scrub(text) ?? "")) ?? .null
        }
        return copy
    }

    static func oneLine(_ s: String) -> String {
        s.split(whereSeparator: { $0.isNewline }).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: " ")
    }
}
