import AgentMode
import Foundation
import LuaHost
import MCP
import Replicate
import ReplicateLua

/// The tools the server offers: `execute_lua`, `search_functions`, `describe_function`, and with
/// `--expose functions` one tool per catalog function.
enum Tools {
    static let executeLua = "execute_lua"
    static let searchFunctions = "search_functions"
    static let describeFunction = "describe_function"

    static func executeLuaTool(limits: Limits) -> Tool {
        let timeout = limits.timeoutSeconds ?? 30
        let memory = Double(limits.memoryBytes ?? (64 << 20)) / 1_048_576
        let output = limits.outputBytes ?? (64 << 10)
        return Tool(
            name: executeLua,
            title: "Run Lua with Replicate",
            description: """
                Runs a Lua 5.4 snippet in a sandbox with a `replicate` table for Replicate's API, and returns an envelope: \
                ok, result (what the snippet returns), output (what it prints), error {kind, message, traceback}, \
                calls (each replicate call: function, access, decision, status, ms), stats, permission_bypassed. \
                Write one program that makes many calls instead of many tool calls: \
                `return replicate.run("owner/name", {prompt = "…"})` runs a model and returns its output; \
                `replicate.map(items, function(item) … end, {concurrency = 8})` fans out concurrently; \
                `replicate.get_model("owner/name")`, `replicate.search{query = "…"}`, `replicate.paginate("list_models")`. \
                A failing call raises a table {kind, message, status, detail}; catch it with pcall. \
                Use search_functions and describe_function to find functions and their arguments. \
                Limits: \(ChildExecution.seconds(timeout)), \(Int(memory)) MiB, \(output) bytes of output (a call may lower them).
                """,
            inputSchema: .object([
                "type": "object",
                "properties": .object([
                    "code": .object(["type": "string", "description": "Lua 5.4 source; `return` values to get them back as result."]),
                    "timeout_seconds": .object(["type": "number", "description": .string("Wall-clock limit (at most \(timeout)).")]),
                    "memory_mb": .object(["type": "number", "description": .string("Memory limit in MiB (at most \(memory)).")]),
                    "instructions": .object(["type": "integer", "description": "VM instruction limit."]),
                    "output_limit_bytes": .object(["type": "integer", "description": .string("Printed output kept (at most \(output)).")]),
                ]),
                "required": .array(["code"]),
                "additionalProperties": false,
            ]),
            annotations: .init(title: "Run Lua with Replicate", readOnlyHint: false, destructiveHint: true,
                               idempotentHint: false, openWorldHint: true),
            outputSchema: envelopeSchema)
    }

    /// The envelope as a JSON Schema, so clients can check the structured content.
    static let envelopeSchema: Value = .object([
        "type": "object",
        "properties": .object([
            "ok": .object(["type": "boolean"]),
            "result": .object(["description": "The snippet's return value: one value as itself, several as an array, none as null."]),
            "output": .object(["type": "string"]),
            "output_truncated": .object(["type": "boolean"]),
            "error": .object([
                "type": .array(["object", "null"]),
                "properties": .object([
                    "kind": .object(["type": "string"]),
                    "message": .object(["type": "string"]),
                    "traceback": .object(["type": .array(["string", "null"])]),
                ]),
            ]),
            "calls": .object([
                "type": "array",
                "items": .object([
                    "type": "object",
                    "properties": .object([
                        "function": .object(["type": "string"]),
                        "access": .object(["type": "string"]),
                        "decision": .object(["type": "string"]),
                        "status": .object(["type": .array(["integer", "null"])]),
                        "ms": .object(["type": "number"]),
                        "prediction_id": .object(["type": .array(["string", "null"])]),
                        "error": .object(["type": .array(["string", "null"])]),
                    ]),
                ]),
            ]),
            "stats": .object([
                "type": "object",
                "properties": .object([
                    "ms": .object(["type": "number"]),
                    "peak_memory_bytes": .object(["type": "integer"]),
                    "instructions": .object(["type": "integer"]),
                ]),
            ]),
            "permission_bypassed": .object(["type": "boolean"]),
        ]),
        "required": .array(["ok", "result", "output", "output_truncated", "error", "calls", "stats", "permission_bypassed"]),
    ])

    static let searchTool = Tool(
        name: searchFunctions,
        title: "Search replicate functions",
        description: "Finds functions of the Lua `replicate` table (the 37 API functions and the helpers such as run, map, stream) whose name, summary or arguments match the query words. Returns name, kind, access, summary and signature of each.",
        inputSchema: .object([
            "type": "object",
            "properties": .object([
                "query": .object(["type": "string", "description": "Words to look for, e.g. \"cancel prediction\" or \"upload file\"."]),
                "limit": .object(["type": "integer", "description": "Most results to return (default 10)."]),
            ]),
            "required": .array(["query"]),
            "additionalProperties": false,
        ]),
        annotations: .init(title: "Search replicate functions", readOnlyHint: true, openWorldHint: false))

    static let describeTool = Tool(
        name: describeFunction,
        title: "Describe a replicate function",
        description: "Describes one function of the Lua `replicate` table: what it does, its access (read or write), its arguments (with a JSON Schema of the argument table for API functions) and an example call.",
        inputSchema: .object([
            "type": "object",
            "properties": .object([
                "name": .object(["type": "string", "description": "A function name such as get_model, create_prediction or run."]),
            ]),
            "required": .array(["name"]),
            "additionalProperties": false,
        ]),
        annotations: .init(title: "Describe a replicate function", readOnlyHint: true, openWorldHint: false))

    /// With `--expose functions`: the catalog functions the policy lets run at all. Write tools
    /// appear only when the write policy allows them (allow, or --force): an agent should not be
    /// offered what would be denied or asked about at every call.
    static func functionTools(policy: PermissionPolicy) -> [Tool] {
        Catalog.operations.filter { exposed($0, policy: policy) }.compactMap { operation in
            guard let function = Discovery.function(named: operation.name),
                  case .object(var schema)? = Discovery.jsonSchema(for: function) else { return nil }
            schema["$schema"] = nil
            schema["title"] = nil
            let write = operation.access == .write
            let destructive = write && (operation.method == "DELETE" || operation.method == "PATCH" || operation.name.hasPrefix("cancel_"))
            return Tool(
                name: operation.alias,
                title: operation.summary,
                description: "\(operation.summary) (\(operation.access.rawValue): \(operation.method) \(operation.path)). Lua: \(function.signature). Returns an execution envelope whose result is the API's response.",
                inputSchema: ValueConversion.mcp(.object(schema)),
                annotations: .init(title: operation.summary, readOnlyHint: !write, destructiveHint: write ? destructive : nil,
                                   idempotentHint: write ? operation.method == "DELETE" : nil, openWorldHint: true))
        }
    }

    static func exposed(_ operation: OperationSpec, policy: PermissionPolicy) -> Bool {
        if policy.force { return true }
        let mode = policy.setting(for: operation.name, operation: operation).mode
        return operation.access == .read ? mode != .deny : mode == .allow
    }

    /// The catalog operation behind a function tool's name.
    static func operation(forTool name: String) -> OperationSpec? {
        guard name.hasPrefix("replicate_") else { return nil }
        return Catalog.operation(named: name)
    }

    // MARK: Results

    /// An envelope as a tool result: the envelope as structured content plus a short text.
    static func result(for outcome: ChildExecution.Outcome) -> CallTool.Result {
        let envelope = outcome.envelope
        let structured: Value? = (try? JSONValue(parsing: outcome.json)).map(ValueConversion.mcp)
        return CallTool.Result(content: [.text(text: summary(envelope), annotations: nil, _meta: nil)],
                               structuredContent: structured, isError: !envelope.ok)
    }

    static func summary(_ envelope: ExecEnvelope) -> String {
        func clipped(_ text: String, _ limit: Int) -> String {
            text.count > limit ? String(text.prefix(limit)) + "… (\(text.count - limit) more characters in the structured result)" : text
        }
        let calls = envelope.calls.count == 1 ? "1 replicate call" : "\(envelope.calls.count) replicate calls"
        var lines: [String] = []
        if let error = envelope.error {
            lines.append("error (\(error.kind)): \(clipped(error.message, 2000))")
            lines.append("\(calls), \(String(format: "%.0f", envelope.stats.ms)) ms")
        } else {
            lines.append("ok: \(calls), \(String(format: "%.0f", envelope.stats.ms)) ms")
            if envelope.result != .null {
                lines.append("result: " + clipped(ExecEnvelope.jsonText(of: envelope.result), 4000))
            }
        }
        if !envelope.output.isEmpty {
            lines.append("output\(envelope.outputTruncated ? " (truncated)" : ""):\n" + clipped(envelope.output, 2000))
        }
        if envelope.permissionBypassed { lines.append("(--force: the permission policy was bypassed)") }
        return lines.joined(separator: "\n")
    }

    static func text(_ text: String, error: Bool = false, structured: Value? = nil) -> CallTool.Result {
        CallTool.Result(content: [.text(text: text, annotations: nil, _meta: nil)], structuredContent: structured, isError: error)
    }
}
