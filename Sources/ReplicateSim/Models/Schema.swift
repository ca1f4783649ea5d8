import Foundation

/// One input field of a toy model version, rendered into a Cog-style OpenAPI schema and used
/// to validate prediction inputs the way the service does before queueing (422 on failure).
struct InputProperty: Sendable {
    enum Kind: String, Sendable { case string, integer, number, boolean, file, any }
    var name: String
    var kind: Kind
    var required = false
    var defaultValue: JSON? = nil
    var minimum: Double? = nil
    var maximum: Double? = nil
    var choices: [JSON]? = nil
    var description: String = ""

    func schema(order: Int) -> JSON {
        var o: [String: JSON] = ["title": .string(name.split(separator: "_").map { $0.capitalized }.joined(separator: " ")), "x-order": .int(order)]
        switch kind {
        case .file: o["type"] = "string"; o["format"] = "uri"
        case .any: break
        default: o["type"] = .string(kind.rawValue)
        }
        if let defaultValue { o["default"] = defaultValue }
        if let minimum { o["minimum"] = kind == .integer ? .int(Int(minimum)) : .double(minimum) }
        if let maximum { o["maximum"] = kind == .integer ? .int(Int(maximum)) : .double(maximum) }
        if let choices { o["enum"] = .array(choices) }
        if !description.isEmpty { o["description"] = .string(description) }
        return .object(o)
    }
}

struct ValidationError: Sendable, Equatable {
    var type: String
    var field: String
    var description: String
}

enum Schema {
    /// Validates `input` against the properties: required fields, JSON types, enums, ranges.
    /// Unknown fields are accepted (Cog ignores them), except nothing: `sim/echo` relies on that.
    static func validate(_ input: [String: JSON], against props: [InputProperty]) -> [ValidationError] {
        var errors: [ValidationError] = []
        for p in props {
            guard let v = input[p.name], v != .null else {
                if p.required { errors.append(.init(type: "required", field: p.name, description: "\(p.name) is required")) }
                continue
            }
            switch p.kind {
            case .string, .file:
                guard case .string(let s) = v else {
                    errors.append(.init(type: "invalid_type", field: p.name, description: "\(p.name): Invalid type. Expected: string, given: \(v.typeName)"))
                    continue
                }
                if p.kind == .file, !(s.hasPrefix("data:") || s.hasPrefix("http://") || s.hasPrefix("https://")) {
                    errors.append(.init(type: "format", field: p.name, description: "\(p.name): Does not match format 'uri'"))
                }
            case .integer:
                guard v.int != nil else {
                    errors.append(.init(type: "invalid_type", field: p.name, description: "\(p.name): Invalid type. Expected: integer, given: \(v.typeName)"))
                    continue
                }
            case .number:
                guard v.number != nil else {
                    errors.append(.init(type: "invalid_type", field: p.name, description: "\(p.name): Invalid type. Expected: number, given: \(v.typeName)"))
                    continue
                }
            case .boolean:
                guard v.bool != nil else {
                    errors.append(.init(type: "invalid_type", field: p.name, description: "\(p.name): Invalid type. Expected: boolean, given: \(v.typeName)"))
                    continue
                }
            case .any: break
            }
            if let n = v.number {
                if let min = p.minimum, n < min {
                    errors.append(.init(type: "number_gte", field: p.name, description: "\(p.name): Must be greater than or equal to \(fmt(min))"))
                }
                if let max = p.maximum, n > max {
                    errors.append(.init(type: "number_lte", field: p.name, description: "\(p.name): Must be less than or equal to \(fmt(max))"))
                }
            }
            if let choices = p.choices, !choices.contains(v) {
                let list = choices.map { $0.string.map { "\"\($0)\"" } ?? "\($0)" }.joined(separator: ", ")
                errors.append(.init(type: "enum", field: p.name, description: "\(p.name): \(p.name) must be one of the following: \(list)"))
            }
        }
        return errors
    }

    private static func fmt(_ d: Double) -> String { d == d.rounded() ? String(Int(d)) : String(d) }

    /// Applies defaults, as Cog does before calling `predict`.
    static func withDefaults(_ input: [String: JSON], props: [InputProperty]) -> [String: JSON] {
        var out = input
        for p in props where out[p.name] == nil || out[p.name] == .null {
            if let d = p.defaultValue { out[p.name] = d }
        }
        return out
    }

    /// A Cog-style `openapi_schema` (same top-level layout as the recorded versions).
    /// `acceptsOtherInputs` adds `additionalProperties: true` to `Input` (keys beyond its
    /// properties are taken, not refused).
    static func openAPI(inputs: [InputProperty], output: JSON, trainingInputs: [InputProperty]?, acceptsOtherInputs: Bool = false) -> JSON {
        var props: [String: JSON] = [:]
        for (i, p) in inputs.enumerated() { props[p.name] = p.schema(order: i) }
        var input: JSON = [
            "type": "object", "title": "Input",
            "required": .array(inputs.filter(\.required).map { .string($0.name) }),
            "properties": .object(props),
        ]
        if acceptsOtherInputs, case .object(var fields) = input {
            fields["additionalProperties"] = .bool(true)
            input = .object(fields)
        }
        var schemas: [String: JSON] = [
            "Input": input,
            "Output": output,
            "Status": ["enum": ["starting", "processing", "succeeded", "canceled", "failed"], "type": "string", "title": "Status"],
        ]
        if let trainingInputs {
            var tprops: [String: JSON] = [:]
            for (i, p) in trainingInputs.enumerated() { tprops[p.name] = p.schema(order: i) }
            schemas["TrainingInput"] = [
                "type": "object", "title": "TrainingInput",
                "required": .array(trainingInputs.filter(\.required).map { .string($0.name) }),
                "properties": .object(tprops),
            ]
            schemas["TrainingOutput"] = [
                "type": "object", "title": "TrainingOutput",
                "properties": ["weights": ["type": "string", "format": "uri", "title": "Weights"]],
            ]
        }
        var paths: [String: JSON] = [
            "/predictions": ["post": ["summary": "Predict", "operationId": "predict_predictions_post"]],
        ]
        if trainingInputs != nil {
            paths["/trainings"] = ["post": ["summary": "Train", "operationId": "train_trainings_post"]]
        }
        return [
            "info": ["title": "Cog", "version": "0.1.0"],
            "openapi": "3.0.2",
            "paths": .object(paths),
            "components": ["schemas": .object(schemas)],
        ]
    }
}
