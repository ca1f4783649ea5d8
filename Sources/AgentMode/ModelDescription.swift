import Foundation
import Replicate

/// A model's interface as `kosmo-lua docs owner/name` shows it: the model, the version its
/// schema came from, and that schema's inputs and output (`ModelInterface`).
public struct ModelDescription: Sendable {
    /// `owner/name`.
    public var model: String
    /// The version the interface was read from.
    public var version: String
    /// Whether the model is official (run through its model endpoint); nil when not known
    /// (a version named explicitly is read without the model).
    public var official: Bool?
    /// The model's own description, when the lookup returned it.
    public var summary: String?
    public var interface: ModelInterface

    public init(model: String, version: String, official: Bool?, summary: String?, interface: ModelInterface) {
        self.model = model
        self.version = version
        self.official = official
        self.summary = summary
        self.interface = interface
    }

    /// What `--json` prints: `ModelInterface.json` (inputs in order, output) with the model, its
    /// version and a call to start from.
    public var json: JSONValue {
        var object = interface.json.objectValue ?? [:]
        object["model"] = .string(model)
        object["version"] = .string(version)
        object["official"] = official.map { .bool($0) } ?? .null
        object["description"] = summary.map { .string($0) } ?? .null
        object["accepts_other_inputs"] = .bool(interface.acceptsOtherInputs)
        object["example"] = .string(example)
        return .object(object)
    }

    /// The interface for a person: each input in the model's order with its type, limits,
    /// default and description, the output's shape, and a call to start from.
    public var text: String {
        var lines: [String] = []
        var head = "\(model) (version \(version.prefix(12))"
        if let official { head += official ? ", official" : ", community" }
        lines.append(head + ")")
        if let summary, !summary.isEmpty { lines.append(Self.oneLine(summary)) }
        lines.append("")
        let inputs = interface.inputs
        if inputs.isEmpty {
            lines.append("Inputs: none" + (interface.acceptsOtherInputs ? " declared (any input is accepted)" : ""))
        } else {
            lines.append("Inputs, in order" + (interface.acceptsOtherInputs ? " (other keys are accepted too)" : "") + ":")
            let width = min(24, inputs.map(\.name.count).max() ?? 0) + 2
            let pad = String(repeating: " ", count: width + 2)
            for field in inputs {
                let name = field.name.count < width ? field.name + String(repeating: " ", count: width - field.name.count) : field.name + "  "
                lines.append("  " + name + Self.terms(field))
                if let description = field.description, !description.isEmpty {
                    lines.append(pad + Self.oneLine(description))
                }
            }
        }
        lines.append("")
        lines.append("Output: " + Self.shape(interface.output))
        lines.append("")
        lines.append("Example:")
        lines.append("  " + example)
        lines.append("")
        lines.append("Checked before each run (unknown keys, missing required ones, types, limits, choices); validate = false in the options skips it.")
        lines.append("Machine-readable: kosmo-lua docs \(model) --json; editor stubs: kosmo-lua docs --stubs \(model)")
        return lines.joined(separator: "\n")
    }

    /// A `replicate.run` call with every input a run needs (required, without a default),
    /// each given a value the field accepts.
    public var example: String {
        let needed = interface.inputs.filter { $0.required && $0.defaultValue == nil }
        let fields = needed.map { ModelTypeStubs.luaKey($0.name) + " = " + Self.luaLiteral(Self.sample(for: $0)) }
        let input = fields.isEmpty ? "{}" : "{" + fields.joined(separator: ", ") + "}"
        return "local output = replicate.run(\(Self.luaLiteral(.string(model))), \(input))"
    }

    /// `a string, required`; `an integer from 1 to 4; default 1`; `one of "png", "jpg"; optional`.
    static func terms(_ field: ModelInterface.Field) -> String {
        var text = field.summary
        if field.choices?.isEmpty == false, field.type != "any" { text += " (\(field.type))" }
        if let value = field.defaultValue {
            text += "; default " + ModelInterface.Field.shownDefault(value)
        } else {
            text += field.required ? "; required" : "; optional"
        }
        return text
    }

    /// The output's shape in words.
    static func shape(_ output: ModelInterface.Output) -> String {
        switch output.type {
        case "array":
            let items = output.isFile ? "file URLs" : (output.itemType.map { $0 == "any" ? "values" : $0 + "s" } ?? "values")
            var text = "a list of \(items)"
            if output.iterator { text += ", produced one by one (replicate.stream yields them as they come)" }
            if output.concatenate { text += "; replicate.run returns them joined as one string (opts.raw = true: the list)" }
            return text
        case "string":
            return output.isFile ? "a file URL" : "a string"
        case "integer": return "an integer"
        case "object": return "a table of named values"
        case "any": return "not described by the schema (any value)"
        default: return "a \(output.type)"
        }
    }

    /// A value `field` accepts, for the example.
    static func sample(for field: ModelInterface.Field) -> JSONValue {
        if let first = field.choices?.first { return first }
        if field.isFile { return .string("https://example.com/input.png") }
        switch field.type {
        case "integer":
            let low = field.minimum.map { $0.rounded(.up) } ?? 1
            return .int(low >= -1e15 && low <= 1e15 ? Int64(low) : 1)
        case "number": return .double(field.minimum ?? 1)
        case "boolean": return .bool(true)
        case "array": return .array([])
        case "object": return .object([:])
        default: return .string("text")
        }
    }

    /// `value` as Lua source.
    static func luaLiteral(_ value: JSONValue) -> String {
        switch value {
        case .null: return "nil"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return d.isFinite ? (d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) + ".0" : String(d)) : "0"
        case .string(let s):
            var out = "\""
            for scalar in s.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                default:
                    if scalar.value < 0x20 || scalar.value == 0x7F { out += "\\\(scalar.value)" } else { out.unicodeScalars.append(scalar) }
                }
            }
            return out + "\""
        case .array(let items): return "{" + items.map(luaLiteral).joined(separator: ", ") + "}"
        case .object(let members):
            return "{" + members.keys.sorted().map { ModelTypeStubs.luaKey($0) + " = " + luaLiteral(members[$0] ?? .null) }.joined(separator: ", ") + "}"
        }
    }

    /// A description on one line, at most 300 characters.
    static func oneLine(_ text: String) -> String {
        let flat = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
        return flat.count > 300 ? String(flat.prefix(299)) + "…" : flat
    }
}

extension ModelInterface.Field {
    /// A default as the description shows it: JSON, a long string shortened.
    static func shownDefault(_ value: JSONValue) -> String {
        if case .string(let s) = value, s.count > 60 { return ExecEnvelope.jsonText(of: .string(String(s.prefix(59)) + "…")) }
        return ExecEnvelope.jsonText(of: value)
    }
}
