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
    static let describeModel = "describe_model"
    static let endSession = "end_session"

    /// Most bytes of a session id argument (the server's are 18).
    static let maxSessionBytes = 100

    static func executeLuaTool(limits: Limits) -> Tool {
        let timeout = limits.timeoutSeconds ?? 30
        // The server's own limits, in range because its flags were parsed within them.
        let memory = BoundedNumber.text(of: Double(limits.memoryBytes ?? (64 << 20)) / 1_048_576)
        let output = limits.outputBytes ?? (64 << 10)
        let resultCap = limits.resultBytes ?? (64 << 10)
        let seconds = BoundedNumber.text(of: timeout)
        return Tool(
            name: executeLua,
            title: "Run Lua with Replicate",
            description: """
                Runs a Lua 5.4 snippet in a sandbox with a `replicate` table for Replicate's API, and returns an envelope: \
                ok, result (what the snippet returns, cut to whole members past the result limit: result_truncated), \
                result_error (why a return value JSON cannot hold, such as math.huge or a function, was not returned; \
                the calls still took effect), output (what it prints; past the output limit its head and its tail), \
                error {kind, message, traceback}, \
                calls (each replicate call: function, access, decision, status, ms, prediction_id and its final prediction_status, \
                model, predict_time, in_flight), running (predictions left running), usage (predictions, predict_time), stats, permission_bypassed. \
                A snippet that fails or is stopped cancels the predictions it left running; one that succeeds lists them under running. \
                Write one program that makes many calls instead of many tool calls: \
                `return replicate.run("owner/name", {prompt = "…"})` runs a model and returns its output; \
                `replicate.map(items, function(item) … end, {concurrency = 8})` fans out concurrently; \
                `replicate.get_model("owner/name")`, `replicate.search{query = "…"}`, `replicate.paginate("list_models")`. \
                A failing call raises a table {kind, message, status, detail}; catch it with pcall. \
                Use search_functions and describe_function to find functions and their arguments. \
                State: pass session = "new" to open a session; the envelope's session is its id, and passing it on later calls \
                runs them in the same Lua state, so globals set in one call are there in the next (end it with end_session; \
                it ends by itself after a while unused). replicate.sleep(seconds) waits without busy-looping (inside map tasks \
                the others keep running). For long work, start predictions with replicate.create_prediction{…} and return their ids, \
                then check them with replicate.get_prediction in a later call (or replicate.wait) instead of holding one call open. \
                With a progress token, the call sends progress notifications while predictions wait. \
                Limits: \(ChildExecution.seconds(timeout)), \(memory) MiB, \(output) bytes of output, \(resultCap) bytes of result JSON \
                (a call may lower them). Arguments not in the schema are refused.
                """,
            inputSchema: .object([
                "type": "object",
                "properties": .object([
                    "code": .object(["type": "string", "maxLength": .int(ToolArguments.MaxBytes.code),
                                     "description": "Lua 5.4 source (at most 1 MiB); `return` values to get them back as result."]),
                    "timeout_seconds": bounded("number", .timeoutSeconds, "Wall-clock limit in seconds; the server's \(seconds) caps it."),
                    "memory_mb": bounded("number", .memoryMB, "Memory limit in MiB; the server's \(memory) caps it."),
                    "instructions": bounded("integer", .instructions, "VM instruction limit, counted in steps of 1000."),
                    "output_limit_bytes": bounded("integer", .outputBytes, "Printed output kept, in bytes (its head and its tail); the server's \(output) caps it."),
                    "result_limit_bytes": bounded("integer", .outputBytes, "JSON of the result kept, in bytes (cut to whole members, result_truncated); the server's \(resultCap) caps it."),
                    "session": .object(["type": "string", "maxLength": .int(maxSessionBytes),
                                        "description": "\"new\" opens a session (its id comes back as the envelope's session); an id runs this call in that session's Lua state, whose globals persist between calls. Limits apply to each call; memory_mb and the server's memory limit cap the session's whole state."]),
                ]),
                "required": .array(["code"]),
                "additionalProperties": false,
            ]),
            annotations: .init(title: "Run Lua with Replicate", readOnlyHint: false, destructiveHint: true,
                               idempotentHint: false, openWorldHint: true),
            outputSchema: envelopeSchema)
    }

    /// A number argument's schema: its type, its range, and a description that states the range.
    static func bounded(_ type: String, _ bound: BoundedNumber, _ description: String) -> Value {
        func number(_ value: Double) -> Value { value == value.rounded() ? .int(Int(value)) : .double(value) }
        return .object(["type": .string(type), "minimum": number(bound.minimum), "maximum": number(bound.maximum),
                        "description": .string("\(description) From \(BoundedNumber.text(of: bound.minimum)) to \(BoundedNumber.text(of: bound.maximum)).")])
    }

    /// The envelope as a JSON Schema, so clients can check the structured content.
    static let envelopeSchema: Value = .object([
        "type": "object",
        "properties": .object([
            "ok": .object(["type": "boolean"]),
            "result": .object(["description": "The snippet's return value: one value as itself, several as an array, none as null; cut to whole members past the result limit."]),
            "result_truncated": .object(["type": "boolean", "description": "The result was cut to the result limit."]),
            "result_error": .object(["type": .array(["string", "null"]),
                                     "description": "Why the return value was not returned (NaN, infinity, a function, a cycle, a sparse array); the calls still took effect."]),
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
                        "prediction_status": .object(["type": .array(["string", "null"]), "description": "Its prediction's or training's status as last seen (after the end's cancel, canceled_at_end)."]),
                        "model": .object(["type": .array(["string", "null"])]),
                        "predict_time": .object(["type": .array(["number", "null"]), "description": "Seconds of CPU or GPU time, once the API reports it."]),
                        "hardware": .object(["type": .array(["string", "null"])]),
                        "in_flight": .object(["type": "boolean", "description": "The call had not finished when the snippet ended (present when true)."]),
                        "canceled_at_end": .object(["type": "boolean", "description": "Its prediction was canceled because the snippet ended while it ran (present when true)."]),
                    ]),
                ]),
            ]),
            "running": .object([
                "type": "array",
                "description": "Predictions and trainings the snippet created and left running (it succeeded without waiting for them, or --keep-running); present, with usage, when the snippet created any.",
                "items": .object([
                    "type": "object",
                    "properties": .object([
                        "id": .object(["type": "string"]), "kind": .object(["type": "string"]), "status": .object(["type": "string"]),
                    ]),
                ]),
            ]),
            "usage": .object([
                "type": "object",
                "properties": .object([
                    "predictions": .object(["type": "integer"]),
                    "trainings": .object(["type": "integer"]),
                    "predict_time": .object(["type": "number", "description": "Seconds of predict time the snippet's predictions and trainings reported."]),
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
            "session": .object(["type": "string", "description": "The session the call ran in (execute_lua with session); pass it on later calls."]),
        ]),
        "required": .array(["ok", "result", "result_truncated", "result_error", "output", "output_truncated", "error", "calls", "stats", "permission_bypassed"]),
    ])

    static let endSessionTool = Tool(
        name: endSession,
        title: "End a Lua session",
        description: "Ends a session opened with execute_lua's session = \"new\": its Lua state and its globals are gone, and its process ends. Predictions it started keep running (check them by id from any call).",
        inputSchema: .object([
            "type": "object",
            "properties": .object([
                "session": .object(["type": "string", "maxLength": .int(maxSessionBytes), "description": "The session's id, as an envelope's session gave it."]),
            ]),
            "required": .array(["session"]),
            "additionalProperties": false,
        ]),
        annotations: .init(title: "End a Lua session", readOnlyHint: false, destructiveHint: true,
                           idempotentHint: false, openWorldHint: false),
        outputSchema: .object([
            "type": "object",
            "properties": .object(["ended": .object(["type": "string"])]),
            "required": .array(["ended"]),
        ]))

    static let searchTool = Tool(
        name: searchFunctions,
        title: "Search replicate functions",
        description: "Finds functions of the Lua `replicate` table (the 37 API functions and the helpers such as run, map, stream) whose name, summary or arguments match the query words. Returns name, kind, access, summary and signature of each.",
        inputSchema: .object([
            "type": "object",
            "properties": .object([
                "query": .object(["type": "string", "maxLength": .int(ToolArguments.MaxBytes.query),
                                  "description": "Words to look for (at most 1000 bytes), e.g. \"cancel prediction\" or \"upload file\"."]),
                "limit": .object(["type": "integer", "minimum": 1, "maximum": 100, "description": "Most results to return (1 to 100, default 10)."]),
            ]),
            "required": .array(["query"]),
            "additionalProperties": false,
        ]),
        annotations: .init(title: "Search replicate functions", readOnlyHint: true, destructiveHint: false,
                           idempotentHint: true, openWorldHint: false),
        outputSchema: .object([
            "type": "object",
            "properties": .object([
                "results": .object([
                    "type": "array",
                    "items": .object([
                        "type": "object",
                        "properties": .object([
                            "name": .object(["type": "string"]), "kind": .object(["type": "string"]),
                            "access": .object(["type": "string"]), "summary": .object(["type": "string"]),
                            "signature": .object(["type": "string"]),
                        ]),
                        "required": .array(["name", "kind", "access", "summary", "signature"]),
                    ]),
                ]),
            ]),
            "required": .array(["results"]),
        ]))

    static let describeTool = Tool(
        name: describeFunction,
        title: "Describe a replicate function",
        description: "Describes one function of the Lua `replicate` table: what it does, its access (read or write), its arguments (with a JSON Schema of the argument table for API functions) and an example call.",
        inputSchema: .object([
            "type": "object",
            "properties": .object([
                "name": .object(["type": "string", "maxLength": .int(ToolArguments.MaxBytes.name),
                                 "description": "A function name such as get_model, create_prediction or run."]),
            ]),
            "required": .array(["name"]),
            "additionalProperties": false,
        ]),
        annotations: .init(title: "Describe a replicate function", readOnlyHint: true, destructiveHint: false,
                           idempotentHint: true, openWorldHint: false),
        outputSchema: .object([
            "type": "object",
            "description": "The function's documentation: name, kind, access, summary, signature, parameters, example, and for API functions the JSON Schema of the argument table.",
            "properties": .object([
                "name": .object(["type": "string"]), "kind": .object(["type": "string"]),
                "access": .object(["type": "string"]), "summary": .object(["type": "string"]),
                "signature": .object(["type": "string"]),
            ]),
            "required": .array(["name"]),
        ]))

    static let describeModelTool = Tool(
        name: describeModel,
        title: "Describe a model's inputs and outputs",
        description: """
            Describes a Replicate model's interface from its version's OpenAPI schema: its inputs in the model's own order \
            (name, type, required, default, minimum, maximum, choices, description, whether it is a file) and its output \
            (type, file, iterator, concatenate). Give owner/name for the latest version or owner/name:version for one \
            version. Reads the API (get_model or get_model_version) under the read policy.
            """,
        inputSchema: .object([
            "type": "object",
            "properties": .object([
                "model": .object(["type": "string", "maxLength": .int(ToolArguments.MaxBytes.name),
                                  "description": "owner/name or owner/name:version, such as sim/slow or black-forest-labs/flux-schnell."]),
            ]),
            "required": .array(["model"]),
            "additionalProperties": false,
        ]),
        annotations: .init(title: "Describe a model", readOnlyHint: true, destructiveHint: false,
                           idempotentHint: true, openWorldHint: true),
        outputSchema: .object([
            "type": "object",
            "properties": .object([
                "model": .object(["type": "string"]),
                "version": .object(["type": .array(["string", "null"])]),
                "description": .object(["type": .array(["string", "null"])]),
                "inputs": .object([
                    "type": "array",
                    "items": .object([
                        "type": "object",
                        "properties": .object([
                            "name": .object(["type": "string"]), "type": .object(["type": "string"]),
                            "required": .object(["type": "boolean"]), "file": .object(["type": "boolean"]),
                            "minimum": .object(["type": "number"]), "maximum": .object(["type": "number"]),
                            "choices": .object(["type": "array"]), "description": .object(["type": "string"]),
                        ]),
                        "required": .array(["name", "type", "required", "file"]),
                    ]),
                ]),
                "output": .object([
                    "type": "object",
                    "properties": .object([
                        "type": .object(["type": "string"]), "file": .object(["type": "boolean"]),
                        "iterator": .object(["type": "boolean"]), "concatenate": .object(["type": "boolean"]),
                        "items": .object(["type": "string"]),
                    ]),
                ]),
            ]),
            "required": .array(["model", "inputs", "output"]),
        ]))

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
                annotations: .init(title: operation.summary, readOnlyHint: !write, destructiveHint: write && destructive,
                                   idempotentHint: !write || operation.method == "DELETE", openWorldHint: true),
                outputSchema: envelopeSchema)
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

    /// Whether a tool answers with an execution envelope (its errors are `usage` envelopes).
    static func returnsEnvelope(_ name: String) -> Bool {
        name == executeLua || operation(forTool: name) != nil
    }

    // MARK: Results

    /// An envelope as a tool result: the envelope as structured content plus a short text.
    /// The envelope is at most `ChildExecution.maxResultBytes` (about) and the text a summary
    /// of a few kilobytes, so a tool result stays within about 4 MiB.
    static func result(for outcome: ChildExecution.Outcome) -> CallTool.Result {
        let envelope = outcome.envelope
        return CallTool.Result(content: [.text(text: summary(envelope), annotations: nil, _meta: nil)],
                               structuredContent: outcome.structured, isError: !envelope.ok)
    }

    /// A call whose arguments are wrong, as an envelope of kind `usage` (what `exec --json`
    /// prints for a bad option), so the structured content still matches the output schema.
    static func usage(_ message: String) -> CallTool.Result {
        result(for: ChildExecution.Outcome(envelope: ExecEnvelope.failure(kind: .usage, message: message)))
    }

    static func summary(_ envelope: ExecEnvelope) -> String {
        func clipped(_ text: String, _ limit: Int) -> String {
            text.count > limit ? String(text.prefix(limit)) + "… (\(text.count - limit) more characters in the structured result)" : text
        }
        let calls = envelope.calls.count == 1 ? "1 replicate call" : "\(envelope.calls.count) replicate calls"
        var lines: [String] = []
        if let error = envelope.error {
            lines.append("error (\(error.kind.rawValue)): \(clipped(error.message, 2000))")
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
        if let resultError = envelope.resultError { lines.append("result_error: " + clipped(resultError, 2000)) }
        if envelope.resultTruncated { lines.append("(the result was cut to the result limit: result_truncated)") }
        if envelope.permissionBypassed { lines.append("(--force: the permission policy was bypassed)") }
        return lines.joined(separator: "\n")
    }

    static func text(_ text: String, error: Bool = false, structured: Value? = nil) -> CallTool.Result {
        CallTool.Result(content: [.text(text: text, annotations: nil, _meta: nil)], structuredContent: structured, isError: error)
    }
}
