import Foundation
import LuaHost
import Replicate

/// The error tables `replicate.*` raises (docs/architecture.md, "Errors"): `kind`, `message`, `function`,
/// and where they apply `status`, `title`, `detail`, `prediction`, `access`. Their metatable
/// (`replicate.error`, set up by `lua/replicate.lua`) gives a one-line `tostring`.
enum LuaErrors {
    static let metatable = "replicate.error"

    static func table(kind: ErrorKind, function: String, message: String, extra: [(String, LuaValue)] = []) -> LuaRaise {
        // `tostring` names the function; a message that starts with it would say it twice.
        var message = message
        if message.hasPrefix("replicate.\(function): ") { message.removeFirst("replicate.\(function): ".count) }
        return LuaRaise(value: .table([("kind", .string(kind.rawValue)), ("message", .string(message)), ("function", .string(function))] + extra),
                 metatable: metatable)
    }

    static func permission(function: String, access: Access, message: String) -> LuaRaise {
        table(kind: .permission, function: function, message: message, extra: [("access", .string(access.rawValue))])
    }

    static func limit(function: String, message: String) -> LuaRaise {
        table(kind: .limit, function: function, message: message)
    }

    static func validation(function: String, message: String) -> LuaRaise {
        table(kind: .validation, function: function, message: message)
    }

    /// Any failure of a call as a `replicate` error table, with its kind for the call log.
    static func from(_ error: any Error, function: String) -> (raise: LuaRaise, kind: ErrorKind) {
        if let raise = error as? LuaRaise {
            // Tables made by `table(kind:…)` above, so the word is always one of the vocabulary's.
            if case .table(let fields) = raise.value, case .string(let kind)? = fields.first(where: { $0.0 == "kind" })?.1 {
                return (raise, ErrorKind(reading: kind))
            }
            return (raise, .runtime)
        }
        if let e = error as? ReplicateError {
            var extra: [(String, LuaValue)] = []
            if let status = e.status { extra.append(("status", .integer(Int64(status)))) }
            if let title = e.title { extra.append(("title", .string(title))) }
            if let detail = e.detail { extra.append(("detail", .string(detail))) }
            if let type = e.type { extra.append(("type", .string(type))) }
            if let retryAfter = e.retryAfter { extra.append(("retry_after", .number(retryAfter))) }
            if let prediction = e.prediction { extra.append(("prediction", LuaJSON.value(prediction))) }
            return (table(kind: e.kind.errorKind, function: function, message: e.message, extra: extra), e.kind.errorKind)
        }
        if error is CancellationError {
            return (table(kind: .limit, function: function, message: "the call was cancelled because the run stopped"), .limit)
        }
        return (table(kind: .runtime, function: function, message: String(describing: error)), .runtime)
    }
}

/// Moving values between `JSONValue` (the client) and Lua (per the Values table of docs/architecture.md),
/// with no JSON text in between either way.
enum LuaJSON {
    /// A JSON value to push into Lua: a top-level `null` is `nil`; containers are pushed
    /// straight from the value (`LuaValue.jsonValue`).
    static func value(_ json: JSONValue) -> LuaValue {
        switch json {
        case .null: return .nil
        case .bool(let b): return .boolean(b)
        case .string(let s): return .string(s)
        default: return .jsonValue(json)
        }
    }

    /// A response body to push into Lua: its JSON text as received when it was JSON (decoded
    /// once, straight into tables), the decoded body otherwise.
    static func value(_ response: APIResponse) -> LuaValue {
        if let json = response.json { return .json(Array(json)) }
        return value(response.body)
    }

    /// The Lua value at argument `index` as JSON, walked straight from Lua (`LuaCall.jsonValue`,
    /// the rules and errors of `json.encode`); a non-JSON value is a validation error. An open
    /// Lua file is `{path = …}`, as `replicate.file(path)` gives, for a model's file inputs.
    static func argument(_ call: LuaCall, _ index: Int32, function: String, what: String) throws -> JSONValue {
        do throws(RunError) {
            return try call.jsonValue(index, openFiles: true)
        } catch {
            throw LuaErrors.validation(function: function, message: "\(what) cannot be sent as JSON: \(error.message)")
        }
    }
}

/// Key arguments on one line for prompts: ids and names first, then `input`'s keys. Keys and
/// strings come from the script, so the line shows them escaped (`PromptText.escaped`, and a
/// `"` inside a string as `\"`): no value can pass for another key or redraw the prompt.
enum ArgumentSummary {
    /// Keys shown of one table; a longer table ends with how many more it has.
    static let maxKeys = 40

    /// The summary: `model=owner/name` first when the call runs a named model, then ids and
    /// names, `input`, the rest. Every key is shown (a person approving a training must see
    /// its `destination`); long values are shortened instead.
    static func line(_ arguments: [String: JSONValue], model: String? = nil) -> String {
        let keys = arguments.keys.sorted { rank($0) == rank($1) ? $0 < $1 : rank($0) < rank($1) }
        var parts = model.map { ["model=" + PromptText.escaped($0)] } ?? []
        for key in keys {
            guard let value = arguments[key] else { continue }
            parts.append("\(name(key))=\(short(value, depth: 0))")
        }
        return parts.joined(separator: " ")
    }

    private static func rank(_ key: String) -> Int {
        if key.hasSuffix("_owner") || key.hasSuffix("_name") || key.hasSuffix("_id") || key == "version" || key == "model" { return 0 }
        return key == "input" ? 1 : 2
    }

    /// A key as shown: escaped, and shortened past 64 characters.
    private static func name(_ key: String) -> String {
        PromptText.escaped(key.count > 64 ? String(key.prefix(63)) + "…" : key)
    }

    private static func short(_ value: JSONValue, depth: Int) -> String {
        switch value {
        case .string(let s):
            let keep = depth == 0 ? 48 : 32
            let shown = PromptText.escaped(s.count > keep ? String(s.prefix(keep - 1)) + "…" : s)
            return "\"" + shown.replacingOccurrences(of: "\"", with: "\\\"") + "\""
        case .object(let o):
            guard depth < 2 else { return "{\(o.count) key\(o.count == 1 ? "" : "s")}" }
            let keys = o.keys.sorted()
            var inner = keys.prefix(maxKeys).map { "\(name($0))=\(short(o[$0] ?? .null, depth: depth + 1))" }
            if keys.count > maxKeys { inner.append("… \(keys.count - maxKeys) more") }
            return "{" + inner.joined(separator: ", ") + "}"
        case .array(let a): return "[\(a.count) item\(a.count == 1 ? "" : "s")]"
        default: return (try? value.encodedString()) ?? "?"
        }
    }
}
