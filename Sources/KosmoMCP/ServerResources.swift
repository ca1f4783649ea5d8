import AgentMode
import Foundation
import MCP
import Replicate

/// What the server offers to read besides its tools: the function list, the agent guide (the
/// envelope and the limits), the LuaLS type stubs for an editor or a type check, and each
/// function's description (what `describe_function` returns), one resource each.
enum ServerResources {
    static let scheme = "kosmo-lua://"
    static let functionsURI = scheme + "docs/functions"
    static let guideURI = scheme + "docs/agent-mode"
    static let stubsURI = scheme + "stubs/replicate.lua"
    static let functionPrefix = scheme + "functions/"

    static let list: [Resource] = [
        Resource(name: "functions", uri: functionsURI, title: "Every replicate function",
                 description: "Each function of the Lua replicate table on one line: name, access (read, write, none), summary, and its signature.",
                 mimeType: "text/plain"),
        Resource(name: "agent-mode", uri: guideURI, title: "How execute_lua works",
                 description: "The sandbox, the envelope execute_lua returns (result and its limit, result_error, output, calls, stats) and the limits a call may lower.",
                 mimeType: "text/markdown"),
        Resource(name: "replicate.lua", uri: stubsURI, title: "LuaLS type stubs",
                 description: "LuaLS annotations of the replicate table and its result shapes, for completion and type checks of a snippet before it runs.",
                 mimeType: "text/x-lua"),
    ] + Discovery.functions.map { function in
        Resource(name: function.name, uri: functionPrefix + function.name, title: "replicate.\(function.name)",
                 description: function.summary, mimeType: "text/plain")
    }

    /// A resource's contents; nil for a URI the server does not have.
    static func read(_ uri: String) -> Resource.Content? {
        switch uri {
        case functionsURI:
            let lines = Discovery.functions.map { Discovery.line(for: $0) + "\n    " + $0.signature }
            return .text(lines.joined(separator: "\n") + "\n", uri: uri, mimeType: "text/plain")
        case guideURI:
            return .text(guide, uri: uri, mimeType: "text/markdown")
        case stubsURI:
            return .text(LuaTypeStubs.generate(), uri: uri, mimeType: "text/x-lua")
        default:
            guard uri.hasPrefix(functionPrefix), let function = Discovery.function(named: String(uri.dropFirst(functionPrefix.count))),
                  function.name == String(uri.dropFirst(functionPrefix.count)) else { return nil }
            var text = function.helpText
            if let schema = Discovery.jsonSchema(for: function) {
                text += "\nJSON Schema of the argument table:\n" + ExecEnvelope.jsonText(of: schema)
            }
            return .text(text, uri: uri, mimeType: "text/plain")
        }
    }

    /// "no resource 'x'; did you mean 'y'?", for an unknown URI.
    static func unknown(_ uri: String) -> String {
        let shown = uri.utf8.count > 300 ? String(uri.prefix(80)) + "…" : uri
        var message = "there is no resource '\(shown)'"
        if uri.utf8.count <= 300, let near = Catalog.closest(to: uri, among: list.map(\.uri)) { message += "; did you mean '\(near)'?" }
        return message + " (resources/list lists them)"
    }

    static let guide = """
        # execute_lua

        Runs a Lua 5.4 snippet in a sandbox (no files, no processes, no network but the `replicate`
        table) and returns one JSON envelope:

        - `ok`: whether the snippet ran to its end and its value was returned.
        - `result`: what the snippet returned (several values as an array). Past the result limit
          (64 KiB of JSON unless lowered with `result_limit_bytes`) it is cut to whole members, open
          arrays and objects closed, and `result_truncated` is true: return a summary, a count or a
          page instead.
        - `result_error`: why the return value was not returned (NaN, infinity, a function, a cycle,
          a sparse array, bytes that are not UTF-8). The snippet ran to its end, so its calls took
          effect: they are in `calls`. `error` says the same, with kind `runtime`.
        - `output`: what `print` wrote. Past the output limit (64 KiB unless lowered with
          `output_limit_bytes`) its head and its tail are kept, with a marker between saying how
          much was cut; `output_truncated` is true.
        - `error`: `{kind, message, traceback}` when the snippet failed.
        - `calls`: every replicate call, in order: function, access, decision, status, ms,
          prediction_id, error.
        - `stats`: ms, peak_memory_bytes, instructions.

        `replicate.map(items, fn, {return_errors = true})` (and `replicate.all`) return two arrays JSON
        can hold: a result that failed is `json.null`, and an item that succeeded is `false` among the
        errors, so `if errors[i] then` tells them apart.

        Arguments not in a tool's input schema are refused, naming the nearest one
        (`timeout_s` → `timeout_seconds`).
        """
}
