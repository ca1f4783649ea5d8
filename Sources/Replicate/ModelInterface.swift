import Foundation

/// A model version's inputs and output, read from the OpenAPI schema Cog publishes on every
/// version (`openapi_schema.components.schemas.Input` / `Output`, with Cog's extensions:
/// `x-order`, `x-cog-array-type`, `x-cog-array-display`).
///
/// Old Cog schemas work too: without `x-order` the inputs keep the order of their names, without
/// `Output` the output's shape is unknown (`Output.kind == "any"`).
public struct ModelInterface: Sendable, Equatable {
    /// One input field.
    public struct Field: Sendable, Equatable {
        public var name: String
        /// `string`, `integer`, `number`, `boolean`, `array`, `object`, or `any` (no type given).
        public var type: String
        /// Whether the field takes a file: a URL or a data URI (`format: uri`).
        public var isFile: Bool
        public var required: Bool
        public var defaultValue: JSONValue?
        public var minimum: Double?
        public var maximum: Double?
        /// The allowed values, when the schema lists them (`enum`, directly or through `allOf`).
        public var choices: [JSONValue]?
        public var description: String?
    }

    /// The output's shape.
    public struct Output: Sendable, Equatable {
        /// `string`, `integer`, `number`, `boolean`, `array`, `object`, or `any`.
        public var type: String
        /// Whether the output (or each item of an array output) is a file URL.
        public var isFile: Bool
        /// For an array: its items' type.
        public var itemType: String?
        /// Cog's `x-cog-array-type: iterator`: the items are produced one by one (streamed).
        public var iterator: Bool
        /// Cog's `x-cog-array-display: concatenate`: the items read as one text, joined.
        public var concatenate: Bool
    }

    /// The inputs in the model's own order (`x-order`).
    public var inputs: [Field]
    public var output: Output
    /// Whether the schema says inputs beyond `inputs` are accepted (`additionalProperties`).
    public var acceptsOtherInputs: Bool

    /// Reads a version's `openapi_schema`; nil when it has no `input` schema to check against.
    /// - Parameter input: the inputs' schema: `Input` for predictions, `TrainingInput` for
    ///   trainings.
    public init?(schema: JSONValue, input inputName: String = "Input") {
        guard let schemas = schema["components"]?["schemas"]?.objectValue,
              let input = schemas[inputName]?.objectValue else { return nil }
        let properties = input["properties"]?.objectValue ?? [:]
        let required = Set((input["required"]?.arrayValue ?? []).compactMap(\.stringValue))
        var fields: [(order: Int, field: Field)] = []
        for (name, raw) in properties {
            let property = Self.resolve(raw, in: schemas)
            let order = raw["x-order"]?.intValue.map { Int(clamping: $0) } ?? Int.max
            fields.append((order, Field(
                name: name, type: Self.typeName(property), isFile: Self.isURI(property), required: required.contains(name),
                defaultValue: raw["default"] ?? property["default"], minimum: (raw["minimum"] ?? property["minimum"])?.doubleValue,
                maximum: (raw["maximum"] ?? property["maximum"])?.doubleValue, choices: property["enum"]?.arrayValue,
                description: raw["description"]?.stringValue ?? property["description"]?.stringValue)))
        }
        inputs = fields.sorted { $0.order == $1.order ? $0.field.name < $1.field.name : $0.order < $1.order }.map(\.field)
        acceptsOtherInputs = input["additionalProperties"]?.boolValue ?? false
        let out = schemas["Output"].map { Self.resolve($0, in: schemas) } ?? .object([:])
        let items = out["items"].map { Self.resolve($0, in: schemas) }
        output = Output(type: Self.typeName(out), isFile: Self.isURI(out) || (items.map(Self.isURI) ?? false),
                        itemType: items.map(Self.typeName), iterator: out["x-cog-array-type"]?.stringValue == "iterator",
                        concatenate: out["x-cog-array-display"]?.stringValue == "concatenate")
    }

    /// A property with its `allOf: [{$ref}]` (how Cog writes an enum) and `$ref` merged in.
    private static func resolve(_ value: JSONValue, in schemas: [String: JSONValue]) -> JSONValue {
        guard var object = value.objectValue else { return value }
        var parts = object["allOf"]?.arrayValue ?? []
        if object["$ref"] != nil { parts.append(value) }
        for part in parts {
            guard let ref = part["$ref"]?.stringValue, ref.hasPrefix("#/components/schemas/"),
                  let target = schemas[String(ref.dropFirst("#/components/schemas/".count))]?.objectValue else { continue }
            for (key, item) in target where object[key] == nil { object[key] = item }
        }
        return .object(object)
    }

    private static func typeName(_ property: JSONValue) -> String {
        if let type = property["type"]?.stringValue { return type }
        if let choices = property["enum"]?.arrayValue, let first = choices.first {
            switch first {
            case .string: return "string"
            case .int: return "integer"
            case .double: return "number"
            case .bool: return "boolean"
            default: break
            }
        }
        return "any"
    }

    private static func isURI(_ property: JSONValue) -> Bool {
        property["type"]?.stringValue == "string" && property["format"]?.stringValue == "uri"
    }

    /// The field named `name`.
    public func field(_ name: String) -> Field? { inputs.first { $0.name == name } }
}

/// One way an input does not fit a model's interface.
public struct InputProblem: Sendable, Equatable, CustomStringConvertible {
    /// The input key it is about.
    public var field: String
    /// What is wrong and what is allowed, in a sentence naming the model.
    public var message: String

    public var description: String { message }
}

extension ModelInterface {
    /// What in `input` does not fit: unknown keys (with the nearest valid one), missing required
    /// keys, wrong types, values outside minimum/maximum or not among the choices. Empty when
    /// it fits. An integer given as a whole float fits an integer field; `null` counts as absent.
    /// `model` names the model in the messages (`unknown input 'promtp' for owner/name`).
    public func problems(in input: [String: JSONValue], model: String) -> [InputProblem] {
        var problems: [InputProblem] = []
        if !acceptsOtherInputs, input.keys.contains(where: { field($0) == nil }) {
            let names = inputs.map(\.name)
            for key in input.keys.sorted() where field(key) == nil {
                var message = "unknown input '\(key)' for \(model)"
                if let near = Catalog.closest(to: key, among: names) { message += "; did you mean '\(near)'?" }
                message += names.isEmpty ? " (it takes no inputs)" : " (inputs: \(names.joined(separator: ", ")))"
                problems.append(InputProblem(field: key, message: message))
            }
        }
        for field in inputs {
            guard let value = input[field.name], value != .null else {
                if field.required && field.defaultValue == nil {
                    problems.append(InputProblem(field: field.name, message: "missing input '\(field.name)' for \(model), which is required (\(field.summary))"))
                }
                continue
            }
            if let problem = field.problem(with: value, model: model) { problems.append(InputProblem(field: field.name, message: problem)) }
        }
        return problems
    }
}

extension ModelInterface.Field {
    /// The field's type and limits in words: `an integer from 1 to 4`, `one of "png", "jpg"`.
    public var summary: String {
        if let choices, !choices.isEmpty {
            return "one of " + choices.map(Self.shown).joined(separator: ", ")
        }
        var text = isFile ? "a file (a URL or a data URI)" : Self.article(type)
        switch (minimum, maximum) {
        case let (low?, high?): text += " from \(Self.number(low)) to \(Self.number(high))"
        case let (low?, nil): text += " of at least \(Self.number(low))"
        case let (nil, high?): text += " of at most \(Self.number(high))"
        default: break
        }
        return text
    }

    /// Why `value` does not fit, or nil when it does. The message is built only for a value
    /// that does not fit: the check runs on every create, and almost every value fits.
    func problem(with value: JSONValue, model: String) -> String? {
        fits(value) ? nil : "input '\(name)' for \(model) must be \(summary), got \(Self.shown(value))"
    }

    /// Whether `value` has the field's type, is among its choices and within its limits.
    func fits(_ value: JSONValue) -> Bool {
        switch type {
        case "string": guard value.stringValue != nil else { return false }
        case "integer": guard value.intValue != nil else { return false }
        case "number": guard value.doubleValue != nil else { return false }
        case "boolean": guard value.boolValue != nil else { return false }
        case "array": guard value.arrayValue != nil else { return false }
        case "object": guard value.objectValue != nil else { return false }
        default: break
        }
        if let choices, !choices.isEmpty, !choices.contains(where: { Self.same($0, value) }) { return false }
        if let number = value.doubleValue, value.boolValue == nil {
            if let minimum, number < minimum { return false }
            if let maximum, number > maximum { return false }
        }
        return true
    }

    /// Equal as JSON values, an integer and a whole float alike.
    private static func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if let x = a.doubleValue, let y = b.doubleValue, a.boolValue == nil, b.boolValue == nil { return x == y }
        return a == b
    }

    private static func article(_ type: String) -> String {
        switch type {
        case "integer": return "an integer"
        case "any": return "any value"
        case "array": return "a list"
        case "object": return "a table of named values"
        default: return "a \(type)"
        }
    }

    private static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    /// A value as the message shows it: short, strings quoted.
    static func shown(_ value: JSONValue) -> String {
        switch value {
        case .string(let s): return "\"" + (s.count > 40 ? String(s.prefix(39)) + "…" : s) + "\""
        case .array(let items): return "a list of \(items.count)"
        case .object: return "a table"
        default: return (try? value.encodedString()) ?? "a value"
        }
    }
}

extension ModelInterface {
    /// The interface as JSON (what `replicate.model` returns and `kosmo-lua docs --json`
    /// prints): `inputs` in order, each with its limits, and `output`.
    public var json: JSONValue {
        .object([
            "inputs": .array(inputs.map { field in
                var object: [String: JSONValue] = ["name": .string(field.name), "type": .string(field.type),
                                                   "required": .bool(field.required), "file": .bool(field.isFile)]
                if let value = field.defaultValue { object["default"] = value }
                if let value = field.minimum { object["minimum"] = .double(value) }
                if let value = field.maximum { object["maximum"] = .double(value) }
                if let value = field.choices { object["choices"] = .array(value) }
                if let value = field.description { object["description"] = .string(value) }
                return .object(object)
            }),
            "output": .object([
                "type": .string(output.type), "file": .bool(output.isFile), "iterator": .bool(output.iterator),
                "concatenate": .bool(output.concatenate),
            ].merging(output.itemType.map { ["items": .string($0)] } ?? [:]) { a, _ in a }),
        ])
    }
}
