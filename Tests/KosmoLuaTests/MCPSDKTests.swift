import Foundation
import Testing

/// `kosmo-lua mcp --sim` driven by the official MCP Python SDK (PyPI `mcp`, which `make deps`
/// installs) as the client: what an agent's host sees. Each test runs one scenario of
/// MCPClient/mcp_client.py, which prints what it saw as JSON; the assertions are here.
@Suite struct MCPSDKTests {
    /// The scenario's findings; a missing SDK fails with the command that installs it.
    func scenario(_ name: String) async throws -> [String: Any] {
        try await sdkScenario("mcp_client.py", name)
    }

    @Test func everyToolHasAnnotationsAndAnOutputSchema() async throws {
        let found = try await scenario("tools-legacy")
        #expect(found["protocol_version"] as? String == "2025-11-25")
        #expect(found["ran"] as? Int == 2)
        let tools = found["tools"] as? [String: [String: Any]] ?? [:]
        #expect(Set(tools.keys) == ["execute_lua", "search_functions", "describe_function", "describe_model", "end_session"])
        for (name, tool) in tools {
            let hints = tool["annotations"] as? [String: Any] ?? [:]
            for hint in ["readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"] {
                #expect(hints[hint] is Bool, "\(name) has no \(hint): \(hints)")
            }
            #expect(tool["output_schema"] as? Bool == true, "\(name) has no output schema")
        }
        #expect((tools["execute_lua"]?["annotations"] as? [String: Any])?["readOnlyHint"] as? Bool == false)
        #expect((tools["describe_model"]?["annotations"] as? [String: Any])?["readOnlyHint"] as? Bool == true)
        #expect((tools["execute_lua"]?["input_properties"] as? [String])?.contains("result_limit_bytes") == true)
    }

    @Test func aHugeResultComesBackCutUnderTheCapQuickly() async throws {
        let found = try await scenario("big-result")
        // A generous bound: the whole table was 8.9 MB of JSON and took the client 24 s.
        #expect((found["seconds"] as? Double ?? 99) < 5, "took \(found["seconds"] ?? "?") s")
        #expect((found["structured_bytes"] as? Int ?? .max) < 80 << 10, "\(found["structured_bytes"] ?? "?") bytes")
        #expect(found["result_truncated"] as? Bool == true && found["ok"] as? Bool == true && found["is_error"] as? Bool == false)
        let rows = found["rows"] as? Int ?? 0
        #expect(rows > 100 && rows < 200_000, "\(rows) rows")
        #expect((found["first"] as? [String: Any])?["id"] as? Int == 1)
        // A per-call limit lowers the cap: a 5000-byte string in a 1000-byte result is cut.
        let small = found["small"] as? [String: Any] ?? [:]
        #expect(small["result_truncated"] as? Bool == true)
        let kept = (small["result"] as? String)?.count ?? 0
        #expect(kept > 0 && kept < 1000, "kept \(kept)")
    }

    @Test func aValueJSONCannotHoldKeepsTheCallsAndSaysWhy() async throws {
        let found = try await scenario("unencodable")
        let huge = found["huge"] as? [String: Any] ?? [:]
        let envelope = huge["structured"] as? [String: Any] ?? [:]
        let calls = (envelope["calls"] as? [[String: Any]] ?? []).map { $0["function"] as? String ?? "" }
        #expect(calls == ["create_model_prediction", "cancel_prediction"], "\(envelope)")
        #expect((envelope["calls"] as? [[String: Any]])?.allSatisfy { $0["decision"] as? String == "allowed" } == true)
        let resultError = envelope["result_error"] as? String ?? ""
        #expect(resultError.contains("inf"), "\(resultError)")
        #expect(envelope["result"] is NSNull)
        let message = (envelope["error"] as? [String: Any])?["message"] as? String ?? ""
        #expect(message.contains("2 calls took effect"), "\(message)")
        #expect((huge["text"] as? String ?? "").contains("result_error"))
        for key in ["function", "cycle"] {
            let other = found[key] as? [String: Any] ?? [:]
            #expect((other["result_error"] as? String ?? "").isEmpty == false, "\(key): \(other)")
        }
        #expect(((found["function"] as? [String: Any])?["result_error"] as? String ?? "").contains("function"))
        #expect(((found["cycle"] as? [String: Any])?["result_error"] as? String ?? "").contains("cycle"))
        // map with return_errors returns arrays JSON can hold: json.null and false in the holes.
        let mapped = found["mapped"] as? [String: Any] ?? [:]
        #expect(mapped["ok"] as? Bool == true, "\(mapped)")
        let result = mapped["result"] as? [String: Any] ?? [:]
        #expect((result["results"] as? [Any])?.first as? String == "hello-world")
        #expect((result["results"] as? [Any])?.last is NSNull)
        #expect((result["errors"] as? [Any])?.first as? Bool == false)
        #expect(((result["errors"] as? [Any])?.last as? [String: Any])?["status"] as? Int == 404)
        #expect(result["second_failed"] as? Bool == true && result["first_ok"] as? Bool == true)
        // Printed output past the limit keeps its head and its tail.
        let printed = found["printed"] as? [String: Any] ?? [:]
        let output = printed["output"] as? String ?? ""
        #expect(printed["output_truncated"] as? Bool == true)
        #expect(output.hasPrefix("line 1\nline 2\n") && output.hasSuffix("line 19999\nline 20000\n"), "\(output.prefix(100))…\(output.suffix(100))")
        #expect(output.contains("bytes of output cut here"))
        #expect(output.utf8.count < (64 << 10) + 200)
    }

    @Test func unknownArgumentsAreToolErrorsWithASuggestion() async throws {
        let found = try await scenario("bad-arguments")
        let cod = found["cod"] as? [String: Any] ?? [:]
        #expect(cod["is_error"] as? Bool == true)
        #expect((cod["text"] as? String ?? "").contains("unknown argument 'cod'; did you mean 'code'?"), "\(cod)")
        let timeout = found["timeout_s"] as? [String: Any] ?? [:]
        #expect(timeout["is_error"] as? Bool == true)
        #expect((timeout["text"] as? String ?? "").contains("unknown argument 'timeout_s'; did you mean 'timeout_seconds'?"), "\(timeout)")
        #expect(((timeout["structured"] as? [String: Any])?["error"] as? [String: Any])?["kind"] as? String == "usage")
        let search = found["search"] as? [String: Any] ?? [:]
        #expect(search["is_error"] as? Bool == true && (search["text"] as? String ?? "").contains("did you mean 'limit'?"), "\(search)")
        let good = found["good"] as? [String: Any] ?? [:]
        #expect(good["is_error"] as? Bool == false && (good["structured"] as? [String: Any])?["result"] as? Int == 1)
    }

    @Test func docsStubsAndFunctionsAreResources() async throws {
        let found = try await scenario("resources")
        let uris = found["uris"] as? [String] ?? []
        for uri in ["kosmo-lua://docs/functions", "kosmo-lua://docs/agent-mode", "kosmo-lua://stubs/replicate.lua",
                    "kosmo-lua://functions/get_model", "kosmo-lua://functions/run", "kosmo-lua://functions/map"] {
            #expect(uris.contains(uri), "\(uri) not listed")
        }
        let read = found["read"] as? [String: String] ?? [:]
        #expect(read["kosmo-lua://stubs/replicate.lua"]?.contains("---@class") == true)
        #expect(read["kosmo-lua://docs/functions"]?.contains("create_prediction") == true)
        #expect(read["kosmo-lua://docs/agent-mode"]?.contains("result_truncated") == true)
        #expect(read["kosmo-lua://functions/get_model"]?.contains("JSON Schema") == true)
        #expect((found["missing"] as? String ?? "").contains("did you mean 'kosmo-lua://functions/get_model'?"), "\(found["missing"] ?? "")")
        #expect((found["capabilities"] as? [String: Any])?["resources"] != nil)
    }

    @Test func describeModelGivesInputsAndOutputs() async throws {
        let found = try await scenario("describe-model")
        let latest = (found["latest"] as? [String: Any])?["structured"] as? [String: Any] ?? [:]
        #expect(latest["model"] as? String == "sim/slow")
        let inputs = latest["inputs"] as? [[String: Any]] ?? []
        let seconds = inputs.first { $0["name"] as? String == "seconds" }
        #expect(seconds?["minimum"] as? Double == 0 && seconds?["maximum"] as? Double == 600, "\(inputs)")
        #expect((latest["output"] as? [String: Any])?["type"] != nil)
        let version = latest["version"] as? String ?? ""
        #expect(version.count > 10)
        let pinned = (found["pinned"] as? [String: Any])?["structured"] as? [String: Any] ?? [:]
        #expect(pinned["version"] as? String == version && (pinned["inputs"] as? [Any])?.count == inputs.count)
        let echo = found["echo"] as? [String: Any] ?? [:]
        let file = (echo["inputs"] as? [[String: Any]] ?? []).first { $0["name"] as? String == "file" }
        #expect(file?["file"] as? Bool == true, "\(echo)")
        let missing = found["missing"] as? [String: Any] ?? [:]
        #expect(missing["is_error"] as? Bool == true && (missing["text"] as? String ?? "").contains("404"), "\(missing)")
        let malformed = found["malformed"] as? [String: Any] ?? [:]
        #expect(malformed["is_error"] as? Bool == true && (malformed["text"] as? String ?? "").contains("owner/name"))
    }

    @Test func bothProtocolGenerationsListAndCallTools() async throws {
        let found = try await scenario("modern")
        for mode in ["auto", "2026-07-28"] {
            let seen = found[mode] as? [String: Any] ?? [:]
            #expect(seen["protocol_version"] as? String == "2026-07-28", "\(mode): \(seen)")
            #expect((seen["tools"] as? [String])?.contains("execute_lua") == true)
            #expect(seen["ran"] as? String == "modern")
        }
        #expect((found["auto"] as? [String: Any])?["server"] as? String == "kosmo-lua")
        let old = try await scenario("handshake-2025-06-18")
        #expect(old["protocol_version"] as? String == "2025-06-18")
        #expect((old["tools"] as? [String])?.contains("describe_model") == true && old["ran"] as? Int == 42)
    }
}
