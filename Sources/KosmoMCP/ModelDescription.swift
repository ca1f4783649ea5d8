import AgentMode
import Foundation
import LuaHost
import MCP
import Replicate

/// `describe_model`'s argument: owner/name, or owner/name:version.
struct ModelReference: Sendable {
    let owner: String
    let name: String
    let version: String?

    /// The reference as given back: owner/name[:version].
    var text: String { "\(owner)/\(name)" + (version.map { ":" + $0 } ?? "") }

    init(_ text: String) throws(ToolArguments.Problem) {
        func valid(_ part: Substring) -> Bool {
            !part.isEmpty && part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
        }
        let halves = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let path = halves[0].split(separator: "/", omittingEmptySubsequences: false)
        guard path.count == 2, valid(path[0]), valid(path[1]), halves.count == 1 || valid(halves[1]) else {
            throw ToolArguments.Problem(message: "describe_model: '\(text.prefix(80))' is not owner/name or owner/name:version (letters, digits, '-', '_' and '.'), such as sim/slow")
        }
        (owner, name, version) = (String(path[0]), String(path[1]), halves.count == 2 ? String(halves[1]) : nil)
    }
}

extension KosmoServer {
    /// The model's interface, read through an execution like any other API call (so the read
    /// policy, the call log and the simulator apply): get_model (its latest version) or
    /// get_model_version, then `ModelInterface` on the version's OpenAPI schema.
    func describeModel(_ reference: ModelReference) async -> CallTool.Result {
        let code = """
            local owner, name, version = ...
            local m, v
            if version ~= "" then
              v = replicate.get_model_version{model_owner = owner, model_name = name, version_id = version}
            else
              m = replicate.get_model{model_owner = owner, model_name = name}
              v = m.latest_version
              if v == nil or v == json.null then return {description = m.description} end
            end
            return {version = v.id, schema = v.openapi_schema, description = (m or {}).description}
            """
        var limits = options.limits
        // A schema is the whole answer: it may be larger than a snippet's result should be.
        limits.resultBytes = ChildExecution.maxResultBytes / 2
        // Discovery's deadline: a slow API answers describe_model with an error, not a wait.
        limits.timeoutSeconds = min(limits.timeoutSeconds ?? DiscoveryWork.deadlineSeconds, DiscoveryWork.deadlineSeconds)
        let outcome = await execute(Array(code.utf8), limits: limits,
                                    scriptArguments: [reference.owner, reference.name, reference.version ?? ""])
        let envelope = outcome.envelope
        guard envelope.ok, !envelope.resultTruncated else {
            let why = envelope.error.map { "\($0.kind.rawValue): \($0.message)" } ?? "its schema is larger than \(ChildExecution.maxResultBytes / 2) bytes"
            return Tools.text("describe_model: cannot read \(reference.text): \(why)", error: true)
        }
        let result = envelope.result
        guard let schema = result["schema"], let interface = ModelInterface(schema: schema) else {
            return Tools.text("describe_model: \(reference.text) publishes no input schema (no version with an OpenAPI schema), so its inputs are unknown; the API still checks them when a prediction is created", error: true)
        }
        guard case .object(var described) = interface.json else {
            return Tools.text("describe_model: cannot describe \(reference.text)", error: true)
        }
        described["model"] = .string("\(reference.owner)/\(reference.name)")
        described["version"] = result["version"] ?? .null
        described["description"] = result["description"]?.stringValue.map(JSONValue.string) ?? .null
        let json = JSONValue.object(described)
        return Tools.text(Self.summary(of: interface, model: reference.text) + "\n\n" + ExecEnvelope.jsonText(of: json),
                          structured: ValueConversion.mcp(json))
    }

    /// One line per input, then the output: what a reader scans first.
    static func summary(of interface: ModelInterface, model: String) -> String {
        var lines = ["\(model): \(interface.inputs.count) input\(interface.inputs.count == 1 ? "" : "s")"]
        for field in interface.inputs {
            var line = "  \(field.name): \(field.type)\(field.required ? " (required)" : "")"
            if let value = field.defaultValue { line += ", default \(ExecEnvelope.jsonText(of: value))" }
            if let minimum = field.minimum { line += ", minimum \(BoundedText.number(minimum))" }
            if let maximum = field.maximum { line += ", maximum \(BoundedText.number(maximum))" }
            if let choices = field.choices { line += ", one of " + choices.map { ExecEnvelope.jsonText(of: $0) }.joined(separator: ", ") }
            lines.append(line)
        }
        let output = interface.output
        lines.append("output: \(output.type)\(output.isFile ? " (file URL)" : "")\(output.iterator ? ", an iterator" : "")\(output.concatenate ? " shown concatenated" : "")")
        return lines.joined(separator: "\n")
    }
}

/// Numbers in summaries: whole ones without a fraction.
enum BoundedText {
    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
