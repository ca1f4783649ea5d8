import AgentMode
import Foundation
import Replicate
import ReplicateLua
import Testing

/// `kosmo-lua docs`, `schema`, `search`, `doctor`, and the LuaLS stubs.
@Suite struct DiscoveryTests {
    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    @Test func docsListsAndDescribes() async throws {
        let all = try await kosmo(["docs"])
        #expect(all.status == 0)
        for name in ["get_model", "create_prediction", "run", "map", "webhooks.verify"] { #expect(all.stdout.contains(name)) }
        let one = try await kosmo(["docs", "replicate_get_model"])
        #expect(one.status == 0)
        #expect(one.stdout.hasPrefix("replicate.get_model{…}  (read)  GET /models/{model_owner}/{model_name}"))
        #expect(one.stdout.contains("model_owner (string, required)"))
        #expect(one.stdout.contains("Example:"))
        let json = try await kosmo(["docs", "create_prediction", "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any] ?? [:]
        #expect(object["access"] as? String == "write")
        let parameters = (object["parameters"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
        #expect(parameters.contains("version") && parameters.contains("wait") && parameters.contains("cancel_after"))
        let helper = try await kosmo(["docs", "map", "--json"])
        #expect((try JSONSerialization.jsonObject(with: Data(helper.stdout.utf8)) as? [String: Any])?["kind"] as? String == "helper")
        let wrong = try await kosmo(["docs", "get_modle"])
        #expect(wrong.status == 1 && wrong.stderr.contains("did you mean 'get_model'?"))
    }

    @Test func schemaOfAnArgumentTable() async throws {
        let result = try await kosmo(["schema", "create_model_prediction"])
        #expect(result.status == 0)
        let schema = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
        #expect(schema["type"] as? String == "object")
        #expect(schema["additionalProperties"] as? Bool == false)
        #expect((schema["required"] as? [String]).map(Set.init) == ["model_owner", "model_name", "input"])
        let properties = schema["properties"] as? [String: Any] ?? [:]
        #expect(((properties["wait"] as? [String: Any])?["type"] as? [String]) == ["boolean", "integer"])
        let filter = (properties["webhook_events_filter"] as? [String: Any])?["items"] as? [String: Any]
        #expect(filter?["enum"] as? [String] == ["start", "output", "logs", "completed"])
        let helper = try await kosmo(["schema", "run"])
        #expect(helper.status == 1 && helper.stderr.contains("helper with positional arguments"))
    }

    /// Every schema's required keys are what the client's own validation requires: an argument
    /// table with exactly them passes the catalog's checks, one without any of them fails.
    @Test func schemasAgreeWithTheCatalogChecks() throws {
        for operation in Catalog.operations {
            guard let function = Discovery.function(named: operation.name),
                  let schema = Discovery.jsonSchema(for: function) else {
                Issue.record("no schema for \(operation.name)")
                continue
            }
            let required = schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? []
            var arguments: [String: JSONValue] = [:]
            for name in required {
                let type = schema["properties"]?[name]?["type"]?.stringValue
                arguments[name] = type == "object" ? .object([:]) : type == "integer" ? .int(1) : .string("x")
            }
            #expect(throws: Never.self, "\(operation.name)") { try ReplicateClient.validate(operation, arguments: arguments) }
            for name in required {
                var missing = arguments
                missing[name] = nil
                #expect(throws: (any Error).self, "\(operation.name) without \(name)") { try ReplicateClient.validate(operation, arguments: missing) }
            }
        }
    }

    @Test func searchFindsByWhatFunctionsDo() async throws {
        #expect(Discovery.search("cancel prediction").first?.function.name == "cancel_prediction")
        #expect(Discovery.search("upload file").map(\.function.name).prefix(3).contains("upload"))
        #expect(Discovery.search("fan out concurrently").map(\.function.name).contains("map"))
        #expect(Discovery.search("models").first?.function.name.contains("model") == true)
        #expect(Discovery.search("zzzz nothing").isEmpty)
        let result = try await kosmo(["search", "list", "predictions"])
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("list_predictions"))
        let none = try await kosmo(["search", "qwertyuiop"])
        #expect(none.status == 1 && none.stderr.contains("no replicate function matches 'qwertyuiop'"))
    }

    /// lua/types/replicate.lua is what the generator makes today; regenerate with
    /// `.build/debug/kosmo-lua docs --stubs > lua/types/replicate.lua`.
    @Test func luaTypeStubsAreInSync() throws {
        let path = Self.repositoryRoot.appendingPathComponent(LuaTypeStubs.path).path
        let onDisk = try String(contentsOfFile: path, encoding: .utf8)
        let generated = LuaTypeStubs.generate()
        #expect(onDisk == generated, "lua/types/replicate.lua is stale: run .build/debug/kosmo-lua docs --stubs > lua/types/replicate.lua")
        #expect(LuaTypeStubs.helpersWithoutStubs.isEmpty, "helpers without LuaLS annotations: \(LuaTypeStubs.helpersWithoutStubs)")
        #expect(LuaTypeStubs.operationsWithoutResultTypes.isEmpty, "functions without a result type: \(LuaTypeStubs.operationsWithoutResultTypes)")
        for operation in Catalog.operations {
            #expect(generated.contains("function replicate.\(operation.name)("))
            #expect(generated.contains("replicate.\(operation.alias) = replicate.\(operation.name)"))
        }
        for helper in Documentation.helpers { #expect(generated.contains("function replicate.\(helper.name)(")) }
        #expect(generated.hasPrefix("---@meta"))
    }

    /// The stubs are valid Lua (LuaLS reads them as code) and declare what the real table has.
    @Test func luaTypeStubsCompileAndMatchTheRealTable() async throws {
        let path = Self.repositoryRoot.appendingPathComponent(LuaTypeStubs.path).path
        let compiled = try await runProcess(Binaries.lua, ["-e", "assert(loadfile('\(path)'))"])
        #expect(compiled.status == 0, "\(compiled.stderr)")
        // Every function the stubs declare exists in kosmo-lua's replicate table, and back.
        let code = """
            local real = replicate
            replicate = nil
            dofile('\(path)')
            local stub = replicate
            local missing, undeclared = {}, {}
            for k, v in pairs(stub) do if type(v) == 'function' and real[k] == nil then missing[#missing + 1] = k end end
            for k, v in pairs(real) do if type(v) == 'function' and stub[k] == nil then undeclared[#undeclared + 1] = k end end
            for k in pairs(stub.webhooks) do if real.webhooks[k] == nil then missing[#missing + 1] = 'webhooks.' .. k end end
            table.sort(missing) table.sort(undeclared)
            print(table.concat(missing, ','), table.concat(undeclared, ','))
            """
        let compared = try await kosmo(["-e", code])
        #expect(compared.status == 0, "\(compared.stderr)")
        #expect(compared.stdout == "\t\n", "stub-only, table-only: \(compared.stdout)")
    }

    /// With no token anywhere, doctor says exactly how to set one, and fails.
    @Test func doctorWithoutATokenSaysHowToSetOne() async throws {
        let home = try temporaryDirectory()
        let environment = ["HOME": home, "REPLICATE_API_TOKEN": "", "REPLICATE_API_KEY": "", "KOSMO_LUA_CONFIG": "", "XDG_CONFIG_HOME": ""]
        let result = try await kosmo(["doctor"], environment: environment)
        #expect(result.status == 1)
        #expect(result.stdout.contains("FIX  token: no API token."))
        #expect(result.stdout.contains("export REPLICATE_API_TOKEN=r8_..."))
        #expect(result.stdout.contains("\(home)/.config/kosmo-lua/config.toml"))
        #expect(result.stdout.contains("[replicate]\n    api_token = \"r8_...\""))
        #expect(result.stdout.contains("policy: read allow (default), write ask (default)"))
        #expect(result.stdout.contains("next: set a token"))
        let json = try await kosmo(["doctor", "--json"], environment: environment)
        let report = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any] ?? [:]
        #expect(report["ok"] as? Bool == false)
        #expect(((report["token"] as? [String: Any])?["how_to_set"] as? [String])?.first == "export REPLICATE_API_TOKEN=r8_...")
    }

    /// A token is reported by source, never shown; a refused token says what to do; the
    /// simulator answers get_account.
    @Test func doctorRedactsTheTokenAndChecksTheAPI() async throws {
        let home = try temporaryDirectory()
        let secret = "r8_doctorSecretToken0123456789abcdefghij"
        let config = home + "/config.toml"
        try write("[replicate]\napi_token = \"\(secret)\"\n", to: config)
        chmod(config, 0o600)
        // A simulator that accepts another token: doctor reaches it and is refused.
        let simulator = try LineProcess(Binaries.kosmo, ["sim", "--token", "r8_another"])
        defer { simulator.stop() }
        let url = try await onThread { simulator.line(timeout: 20).map { String(decoding: $0, as: UTF8.self) } ?? "" }
        #expect(url.hasPrefix("http://127.0.0.1:"))
        let result = try await kosmo(["doctor"], environment: ["HOME": home, "KOSMO_LUA_CONFIG": config, "REPLICATE_API_TOKEN": "",
                                                               "REPLICATE_URL": url])
        #expect(result.status == 1)
        #expect(result.stdout.contains("ok   token: r8_… (\(secret.count) characters) from \(config)"))
        #expect(result.stdout.contains("ok   base URL: \(url)"))
        #expect(result.stdout.contains("FIX  API: get_account failed"))
        #expect(result.stdout.contains("the token was refused"))
        #expect(!result.stdout.contains(secret) && !result.stderr.contains(secret))
        let sim = try await kosmo(["doctor", "--sim", "--json"], environment: ["HOME": home])
        #expect(sim.status == 0, "\(sim.stdout)")
        let report = try JSONSerialization.jsonObject(with: Data(sim.stdout.utf8)) as? [String: Any] ?? [:]
        #expect(report["ok"] as? Bool == true)
        #expect((report["api"] as? [String: Any])?["answered"] as? Bool == true)
        #expect(!sim.stdout.contains(secret))
    }

    @Test func subcommandsAreListedInUsage() async throws {
        let help = try await kosmo(["--help"])
        for command in ["exec", "mcp", "docs", "schema", "search", "doctor", "sim"] {
            #expect(help.stdout.contains("kosmo-lua \(command) "), "\(command)")
        }
    }
}
