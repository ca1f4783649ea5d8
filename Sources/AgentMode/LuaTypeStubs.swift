import Replicate
import ReplicateLua

/// Generates `lua/types/replicate.lua`: LuaLS type stubs (`---@meta`) for the `replicate` table,
/// from the catalog and the helpers, so an editor's Lua extension completes and checks scripts.
/// `kosmo-lua docs --stubs` prints it; a test regenerates it and compares with the file.
public enum LuaTypeStubs {
    /// Where the stubs live in the repository.
    public static let path = "lua/types/replicate.lua"

    /// LuaLS annotations of a helper: everything between its doc comment and its declaration.
    struct HelperStub {
        let annotations: [String]
        let declaration: String
    }

    static let helperStubs: [String: HelperStub] = [
        "run": HelperStub(annotations: [
            "---@param ref string owner/name, owner/name:version or a version id (a deployment's owner/name with opts.deployment)",
            "---@param input? table the model's input",
            "---@param opts? {wait?: boolean|integer, cancel_after?: integer|string, webhook?: string, webhook_events_filter?: string[], timeout?: number, deployment?: boolean, validate?: boolean, raw?: boolean, save?: string|false}",
            "---@return any output the prediction's output (a concatenated text output as one string unless opts.raw)",
        ], declaration: "function replicate.run(ref, input, opts) end"),
        "model": HelperStub(annotations: [
            "---@param ref string owner/name (its latest version) or owner/name:version",
            "---@return {owner: string, name: string, version: string, official?: boolean, inputs: {name: string, type: string, required: boolean, file: boolean, default?: any, minimum?: number, maximum?: number, choices?: any[], description?: string}[], output: {type: string, items?: string, file: boolean, iterator: boolean, concatenate: boolean}} interface",
        ], declaration: "function replicate.model(ref) end"),
        "file": HelperStub(annotations: [
            "---@param path string a local file (the sandbox needs --allow-read DIR)",
            "---@return {path: string} file a model's file input",
        ], declaration: "function replicate.file(path) end"),
        "stream": HelperStub(annotations: [
            "---@param ref string owner/name, owner/name:version or a version id",
            "---@param input? table the model's input",
            "---@param opts? {cancel_after?: integer|string, webhook?: string, webhook_events_filter?: string[], timeout?: number, deployment?: boolean, validate?: boolean}",
            "---@return fun(): replicate.Event? events",
        ], declaration: "function replicate.stream(ref, input, opts) end"),
        "wait": HelperStub(annotations: [
            "---@param prediction string|replicate.Prediction|replicate.Training an id or the object",
            "---@param opts? {timeout?: number, training?: boolean, save?: string|false}",
            "---@return replicate.Prediction|replicate.Training finished whatever its final status",
        ], declaration: "function replicate.wait(prediction, opts) end"),
        "paginate": HelperStub(annotations: [
            "---@param name string a paginated function: list_models, list_predictions, search_models, …",
            "---@param args? table that function's arguments",
            "---@return fun(): table? items",
        ], declaration: "function replicate.paginate(name, args) end"),
        "map": HelperStub(annotations: [
            "---@generic T, R",
            "---@param items T[]",
            "---@param fn fun(item: T, index: integer): R runs as a concurrent task",
            "---@param opts? {concurrency?: integer, return_errors?: boolean, save?: string|false}",
            "---@return R[] results in the order of items",
            "---@return table<integer, replicate.Error|string>? errors by index, with return_errors",
        ], declaration: "function replicate.map(items, fn, opts) end"),
        "all": HelperStub(annotations: [
            "---@param fns (fun(): any)[] each runs as a concurrent task",
            "---@param opts? {concurrency?: integer, return_errors?: boolean, save?: string|false}",
            "---@return any[] results in order",
            "---@return table<integer, replicate.Error|string>? errors by index, with return_errors",
        ], declaration: "function replicate.all(fns, opts) end"),
        "upload": HelperStub(annotations: [
            "---@param source string a local path (the sandbox needs --allow-read DIR), or the bytes themselves with opts.filename",
            "---@param opts? {filename?: string, content_type?: string, metadata?: table}",
            "---@return replicate.File file use file.urls.get as a model input",
        ], declaration: "function replicate.upload(source, opts) end"),
        "download": HelperStub(annotations: [
            "---@param source string|replicate.File a URL (a model output) or a file object",
            "---@param path string where to write it (the sandbox needs --allow-write DIR)",
            "---@return replicate.File.Stored",
        ], declaration: "function replicate.download(source, path) end"),
        "webhooks.verify": HelperStub(annotations: [
            "---@param args {headers: table<string, string>, body: string, secret?: string}",
            "---@return boolean valid",
        ], declaration: "function replicate.webhooks.verify(args) end"),
        "webhooks.sign": HelperStub(annotations: [
            "---@param args {id: string, timestamp: integer, body: string, secret: string}",
            "---@return string signature the webhook-signature header value",
        ], declaration: "function replicate.webhooks.sign(args) end"),
        "sleep": HelperStub(annotations: [
            "---@param seconds number 0 to 86400; counts toward the run's time limit",
        ], declaration: "function replicate.sleep(seconds) end"),
        "journal": HelperStub(annotations: [
            "---@param path string the journal file (SQLite), before the script's first create",
        ], declaration: "function replicate.journal(path) end"),
        "help": HelperStub(annotations: [
            "---@param name? string a function's name; none lists them all",
        ], declaration: "function replicate.help(name) end"),
    ]

    /// Helpers of `Documentation.helpers` that have no stub here (the sync test wants none).
    public static var helpersWithoutStubs: [String] {
        Documentation.helpers.map(\.name).filter { helperStubs[$0] == nil }
    }

    /// API functions whose result type is unknown (the sync test wants none).
    public static var operationsWithoutResultTypes: [String] {
        Catalog.operations.filter { ResultShapes.resultType(for: $0) == nil }.map(\.name)
    }

    /// The whole stub file.
    public static func generate() -> String {
        var out: [String] = [
            "---@meta replicate",
            "-- LuaLS type stubs for kosmo-lua's `replicate` table. Generated by `kosmo-lua docs --stubs`",
            "-- from the API catalog and the helpers; do not edit (a test keeps this file in sync).",
            "-- Editors: add this directory to Lua.workspace.library (see README, \"Editor support\").",
            "",
            "---The Replicate API: \(Catalog.operations.count) functions (each also as replicate_<name>) and helpers.",
            "---@class replicate",
            "---@field sandboxed boolean whether this script runs in the sandbox",
            "replicate = {}",
            "",
            "replicate.webhooks = {}",
            "",
        ]
        for shape in ResultShapes.shapes + ResultShapes.pageShapes { out += classLines(shape) }
        for operation in Catalog.operations { out += operationLines(operation) }
        for helper in Documentation.helpers { out += helperLines(helper) }
        return out.joined(separator: "\n") + "\n"
    }

    static let luaKeywords: Set<String> = [
        "and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto", "if", "in",
        "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while",
    ]

    /// An example as a fenced Lua block, which LuaLS shows highlighted in its hover.
    static func exampleBlock(_ example: String) -> String {
        "Example:\n```lua\n" + example + "\n```"
    }

    static func comment(_ text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { "---" + $0 }
    }

    static func classLines(_ shape: ResultShapes.Shape) -> [String] {
        var lines = comment(shape.description) + ["---@class \(shape.name)"]
        for field in shape.fields {
            if luaKeywords.contains(field.name) {
                // A keyword cannot stand as a field name: LuaLS takes ["name"], with the optional
                // mark on the type.
                lines.append("---@field [\"\(field.name)\"] \(field.type)\(field.optional ? "?" : "") \(field.description)")
            } else {
                lines.append("---@field \(field.name)\(field.optional ? "?" : "") \(field.type) \(field.description)")
            }
        }
        return lines + [""]
    }

    /// The Lua type of an argument of JSON Schema type `type`.
    static func luaType(_ parameter: FunctionDoc.Parameter) -> String {
        switch parameter.type {
        case "string": return "string"
        case "integer": return "integer"
        case "number": return "number"
        case "boolean": return "boolean"
        case "object": return "table"
        case "array": return parameter.name == "webhook_events_filter" ? "(\"start\"|\"output\"|\"logs\"|\"completed\")[]" : "any[]"
        case "boolean|integer": return "boolean|integer"
        case "integer|string": return "integer|string"
        default: return "any"
        }
    }

    static func argsClass(_ operation: OperationSpec) -> String { "replicate.args.\(operation.name)" }

    static func operationLines(_ operation: OperationSpec) -> [String] {
        let parameters = Discovery.parameters(of: operation)
        let result = ResultShapes.resultType(for: operation) ?? "any"
        var lines: [String] = []
        if !parameters.isEmpty {
            lines += comment("The argument table of replicate.\(operation.name).") + ["---@class \(argsClass(operation))"]
            for parameter in parameters {
                let description = parameter.description.count > 200 ? String(parameter.description.prefix(197)) + "..." : parameter.description
                lines.append("---@field \(parameter.name)\(parameter.required ? "" : "?") \(luaType(parameter)) \(description)")
            }
            lines.append("")
        }
        lines += comment("\(operation.summary) (\(operation.access.rawValue): \(operation.method) \(operation.path))")
        lines += comment(exampleBlock(Documentation.example(for: operation)))
        let names = Set(operation.parameters.map(\.name))
        let required = parameters.contains(where: \.required)
        if names.contains("model_owner") || names.contains("deployment_owner") {
            let what = names.contains("version_id") ? "\"owner/name:version\"" : "\"owner/name\""
            lines += comment("Short form: replicate.\(operation.name)(\(what)[, other arguments]).")
            lines.append("---@overload fun(ref: string, args?: table): \(result)")
        } else if let id = ["prediction_id", "training_id", "file_id", "collection_slug"].first(where: names.contains) {
            lines.append("---@overload fun(\(id): string): \(result)")
        }
        if parameters.isEmpty {
            lines.append("---@return \(result)")
            lines.append("function replicate.\(operation.name)() end")
        } else {
            lines.append("---@param args\(required ? "" : "?") \(argsClass(operation))")
            lines.append("---@return \(result)")
            lines.append("function replicate.\(operation.name)(args) end")
        }
        lines.append("replicate.\(operation.alias) = replicate.\(operation.name)")
        return lines + [""]
    }

    static func helperLines(_ helper: Documentation.Helper) -> [String] {
        var lines = comment(helper.summary) + comment(exampleBlock(helper.example))
        if let stub = helperStubs[helper.name] {
            lines += stub.annotations + [stub.declaration]
        } else {
            lines += ["---@param ... any", "function replicate.\(helper.name)(...) end"]
        }
        return lines + [""]
    }
}
