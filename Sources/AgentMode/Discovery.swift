import Foundation
import Replicate
import ReplicateLua

/// One function of the `replicate` table as discovery shows it: `kosmo-lua docs`, `schema`,
/// `search`, the MCP tools `search_functions` and `describe_function`, and the LuaLS stubs.
public struct FunctionDoc: Sendable {
    /// An API operation (one table argument of named keys) or a helper (positional arguments).
    public enum Kind: String, Sendable { case api, helper }

    /// A key of an API function's argument table.
    public struct Parameter: Sendable {
        public let name: String
        /// JSON Schema type: `string`, `integer`, `number`, `boolean`, `object`, `array`, or
        /// `boolean|integer` (`wait`) / `integer|string` (`cancel_after`).
        public let type: String
        public let required: Bool
        /// The first paragraph of the API's description.
        public let description: String
        /// `path`, `query`, `body`, or `option` (a kosmo-lua spelling of a header, or `cursor`).
        public let location: String
    }

    public let name: String
    public let kind: Kind
    /// The access class of its request; nil for a helper that makes no request of its own.
    public let access: Access?
    /// `read`, `write`, or `none` (`Documentation.accessName`).
    public var accessName: String { Documentation.accessName(access) }
    public let summary: String
    /// `replicate.get_model{model_owner =, model_name =}` or a helper's signature.
    public let signature: String
    public let parameters: [Parameter]
    public let example: String
    /// What it returns, in words (its type and the object's fields).
    public let returns: String
    /// The operation behind an API function (nil for helpers).
    public let operation: OperationSpec?

    /// What `replicate.help(name)` prints.
    public var helpText: String { Documentation.helpText(for: name) }
}

/// Lookup, search and JSON Schemas over the catalog and the helpers.
public enum Discovery {
    /// Every function: the 37 API functions, then the helpers.
    public static let functions: [FunctionDoc] = Catalog.operations.map(apiDoc) + Documentation.helpers.map(helperDoc)

    /// A function by name (`get_model`, its alias `replicate_get_model`, or a helper such as `run`).
    public static func function(named name: String) -> FunctionDoc? {
        let bare = name.hasPrefix("replicate.") ? String(name.dropFirst("replicate.".count)) : name
        if let found = functions.first(where: { $0.name == bare }) { return found }
        guard let operation = Catalog.operation(named: bare) else { return nil }
        return functions.first { $0.name == operation.name }
    }

    /// "unknown function 'x'; did you mean 'y'?" for a name that is none.
    public static func unknown(_ name: String) -> String {
        var message = "replicate.\(name) does not exist"
        if let near = Documentation.closestName(to: name) { message += "; did you mean '\(near)'?" }
        return message + " (kosmo-lua docs lists every function)"
    }

    static func apiDoc(_ operation: OperationSpec) -> FunctionDoc {
        FunctionDoc(name: operation.name, kind: .api, access: operation.access, summary: operation.summary,
                    signature: signature(operation), parameters: parameters(of: operation),
                    example: Documentation.example(for: operation), returns: operation.returns, operation: operation)
    }

    static func helperDoc(_ helper: Documentation.Helper) -> FunctionDoc {
        FunctionDoc(name: helper.name, kind: .helper, access: helper.access, summary: helper.summary,
                    signature: helper.signature, parameters: [], example: helper.example, returns: helper.returns, operation: nil)
    }

    /// The keys of an API function's argument table, in the order positional arguments fill them.
    public static func parameters(of operation: OperationSpec) -> [FunctionDoc.Parameter] {
        var result: [FunctionDoc.Parameter] = []
        let inPath = operation.parameters.filter { $0.location == .path }
        let fields = operation.parameters.filter { $0.location == .query } + (operation.body?.fields ?? [])
        for spec in inPath + fields.filter(\.required) + fields.filter({ !$0.required }) {
            result.append(FunctionDoc.Parameter(name: spec.name, type: spec.type, required: spec.required,
                                                description: firstParagraph(spec.description), location: spec.location.rawValue))
        }
        if operation.creates == .prediction {
            result.append(FunctionDoc.Parameter(name: "wait", type: "boolean|integer", required: false,
                description: "Hold the request open until the prediction finishes: true, or at most this many seconds (1 to 60). Sent as Prefer: wait.",
                location: "option"))
            result.append(FunctionDoc.Parameter(name: "cancel_after", type: "integer|string", required: false,
                description: "Cancel the prediction after this long: seconds (at least 5), or a duration such as \"30s\", \"5m\", \"1h30m\". Sent as Cancel-After.",
                location: "option"))
        }
        if operation.paginated {
            result.append(FunctionDoc.Parameter(name: "cursor", type: "string", required: false,
                description: "The next page: a previous page's next URL (or its cursor). Each page is {results = {...}, next = url or nil}; replicate.paginate iterates over every item.",
                location: "option"))
        }
        return result
    }

    static func signature(_ operation: OperationSpec) -> String {
        let keys = parameters(of: operation).map { $0.required ? "\($0.name) =" : "\($0.name)? =" }
        return "replicate.\(operation.name){" + keys.joined(separator: ", ") + "}"
    }

    /// The first paragraph of a markdown description, on one line.
    static func firstParagraph(_ text: String) -> String {
        let paragraph = text.components(separatedBy: "\n\n").first ?? text
        return paragraph.replacingOccurrences(of: "\n", with: " ").trimmingCharacters(in: .whitespaces)
    }

    // MARK: Search

    /// A search hit: a function and how well it matched.
    public struct Match: Sendable {
        public let function: FunctionDoc
        public let score: Int
    }

    /// Most distinct words of a query that count: the work grows with the words, so a query
    /// of a whole page costs no more than one of a few dozen words.
    public static let maxQueryWords = 32

    /// The functions that match `query` best: by how many of its words occur in the name,
    /// summary, signature or a parameter, names weighing most. An empty query lists everything.
    /// Only the first `maxQueryWords` distinct words count.
    public static func search(_ query: String, limit: Int = 10) -> [Match] {
        var seen: Set<String> = []
        var words: [String] = []
        for word in query.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber && $0 != "_" }) {
            let text = String(word)
            guard !stopWords.contains(text), seen.insert(text).inserted else { continue }
            words.append(text)
            if words.count == maxQueryWords { break }
        }
        let limit = max(0, limit)
        guard !words.isEmpty else { return Array(functions.map { Match(function: $0, score: 0) }.prefix(limit)) }
        var matches: [(match: Match, words: Int)] = []
        for function in functions {
            let name = function.name.lowercased()
            let nameParts = Set(name.split(whereSeparator: { $0 == "_" || $0 == "." }).map(String.init))
            let summary = function.summary.lowercased()
            let details = (function.signature + " " + function.parameters.map { $0.name + " " + $0.description }.joined(separator: " ")).lowercased()
            var score = 0
            var matched = 0
            for word in words {
                let stem = stemmed(word)
                // Short words only match whole name parts: "id" should not find every "video".
                let long = stem.count >= 3
                var points = 0
                if name == word { points = 20 } else if nameParts.contains(word) || nameParts.contains(stem) { points = 10 }
                else if long, name.contains(stem) { points = 6 }
                else if long, summary.contains(stem) { points = 4 }
                else if long, details.contains(stem) { points = 1 }
                score += points
                if points > 0 { matched += 1 }
            }
            if matched > 0 { matches.append((Match(function: function, score: score), matched)) }
        }
        // More query words matched first, then the higher score; ties keep catalog order.
        let ranked = matches.enumerated().sorted { a, b in
            if a.element.words != b.element.words { return a.element.words > b.element.words }
            if a.element.match.score != b.element.match.score { return a.element.match.score > b.element.match.score }
            return a.offset < b.offset
        }
        return Array(ranked.map(\.element.match).prefix(limit))
    }

    /// Words that say nothing about what a function does.
    static let stopWords: Set<String> = [
        "a", "an", "the", "of", "to", "in", "on", "for", "and", "or", "with", "by", "from", "out", "up",
        "my", "me", "i", "it", "is", "do", "how", "can", "all", "one", "some", "many", "replicate",
    ]

    /// "predictions" → "prediction", "concurrently" → "concurrent", "uploading" → "upload": other
    /// forms of a word still find the function.
    static func stemmed(_ word: String) -> String {
        for suffix in ["ing", "ly", "ed", "es", "s"] where word.count > suffix.count + 3 && word.hasSuffix(suffix) {
            if suffix == "s", word.hasSuffix("ss") { continue }
            if suffix == "es", !(word.hasSuffix("shes") || word.hasSuffix("ches") || word.hasSuffix("xes")) { continue }
            return String(word.dropLast(suffix.count))
        }
        return word
    }

    // MARK: JSON

    /// JSON Schema (draft 2020-12) of an API function's argument table; nil for helpers, which
    /// take positional arguments.
    public static func jsonSchema(for function: FunctionDoc) -> JSONValue? {
        guard function.kind == .api else { return nil }
        var properties: [String: JSONValue] = [:]
        for parameter in function.parameters {
            properties[parameter.name] = propertySchema(parameter)
        }
        let required = function.parameters.filter(\.required).map { JSONValue.string($0.name) }
        var schema: [String: JSONValue] = [
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": .string("replicate.\(function.name) arguments"),
            "description": .string(function.summary),
            "type": "object",
            "properties": .object(properties),
            "additionalProperties": false,
        ]
        if !required.isEmpty { schema["required"] = .array(required) }
        return .object(schema)
    }

    static func propertySchema(_ parameter: FunctionDoc.Parameter) -> JSONValue {
        var schema: [String: JSONValue] = ["description": .string(parameter.description)]
        switch parameter.type {
        case "boolean|integer":
            schema["type"] = .array(["boolean", "integer"])
        case "integer|string":
            schema["type"] = .array(["integer", "string"])
        case "array":
            schema["type"] = "array"
            // The only array arguments are webhook event filters.
            if parameter.name == "webhook_events_filter" {
                schema["items"] = .object(["type": "string", "enum": .array(["start", "output", "logs", "completed"])])
            } else {
                schema["items"] = .object([:])
            }
        case "object":
            schema["type"] = "object"
            if parameter.name == "input" { schema["additionalProperties"] = true }
        default:
            schema["type"] = .string(parameter.type)
        }
        return .object(schema)
    }

    /// A function as JSON: what `docs --json` and `describe_function` return.
    public static func json(for function: FunctionDoc) -> JSONValue {
        var object: [String: JSONValue] = [
            "name": .string(function.name),
            "kind": .string(function.kind.rawValue),
            "access": .string(function.accessName),
            "summary": .string(function.summary),
            "signature": .string(function.signature),
            "example": .string(function.example),
            "returns": .string(function.returns),
            "help": .string(function.helpText),
        ]
        if let operation = function.operation {
            object["alias"] = .string(operation.alias)
            object["http"] = .string("\(operation.method) \(operation.path)")
            object["paginated"] = .bool(operation.paginated)
            object["parameters"] = .array(function.parameters.map { parameter in
                .object(["name": .string(parameter.name), "type": .string(parameter.type), "required": .bool(parameter.required),
                         "description": .string(parameter.description), "location": .string(parameter.location)])
            })
            if let schema = jsonSchema(for: function) { object["schema"] = schema }
        }
        return .object(object)
    }

    /// A function on one line, for lists: `get_model  read  Get a model`.
    public static func line(for function: FunctionDoc) -> String {
        function.name.padding(toLength: 30, withPad: " ", startingAt: 0) + " "
            + function.accessName.padding(toLength: 6, withPad: " ", startingAt: 0) + " " + function.summary.prefix(100)
    }
}
