import Foundation
import Testing

/// `kosmo-lua docs owner/name` (text, `--json`, `--stubs`) and the input check, through the
/// built binary under `--sim` (or against `kosmo-lua sim` where the simulator's request log
/// must be read).
@Suite struct ModelDocsTests {
    static let flux = "black-forest-labs/flux-schnell"

    // MARK: The schema, read here on its own

    /// One input as the version's schema states it, read independently of the code under test:
    /// `allOf`/`$ref` merged in as Cog writes enums.
    struct SchemaField {
        var name: String
        var order: Int
        var type: String?
        var required: Bool
        var hasDefault: Bool
        var minimum: Double?
        var maximum: Double?
        var choices: [Any]?
        var isFile: Bool
    }

    /// The version's `openapi_schema`, as `get_model` returns it to a script.
    static func rawSchema(_ model: String) async throws -> [String: Any] {
        let code = "print(json.encode(replicate.get_model(\"\(model)\").latest_version.openapi_schema))"
        let result = try await kosmo(["--sim", "-e", code])
        #expect(result.status == 0, "\(result.stderr)")
        return try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
    }

    static func schemaFields(_ schema: [String: Any]) -> [SchemaField] {
        let schemas = (schema["components"] as? [String: Any])?["schemas"] as? [String: Any] ?? [:]
        let input = schemas["Input"] as? [String: Any] ?? [:]
        let required = Set(input["required"] as? [String] ?? [])
        let properties = input["properties"] as? [String: Any] ?? [:]
        func resolved(_ raw: [String: Any]) -> [String: Any] {
            var merged = raw
            var refs = (raw["allOf"] as? [[String: Any]] ?? []).compactMap { $0["$ref"] as? String }
            if let ref = raw["$ref"] as? String { refs.append(ref) }
            for ref in refs {
                let target = schemas[String(ref.split(separator: "/").last ?? "")] as? [String: Any] ?? [:]
                for (key, value) in target where merged[key] == nil { merged[key] = value }
            }
            return merged
        }
        return properties.map { name, value in
            let raw = value as? [String: Any] ?? [:]
            let property = resolved(raw)
            return SchemaField(name: name, order: raw["x-order"] as? Int ?? Int.max, type: property["type"] as? String,
                               required: required.contains(name), hasDefault: property["default"] != nil,
                               minimum: (property["minimum"] as? NSNumber)?.doubleValue, maximum: (property["maximum"] as? NSNumber)?.doubleValue,
                               choices: property["enum"] as? [Any],
                               isFile: property["type"] as? String == "string" && property["format"] as? String == "uri")
        }.sorted { $0.order == $1.order ? $0.name < $1.name : $0.order < $1.order }
    }

    // MARK: docs owner/name

    @Test("docs sim/echo prints its inputs, that it takes any input, its output, and an example that runs")
    func docsEcho() async throws {
        let result = try await kosmo(["docs", "--sim", "sim/echo"])
        #expect(result.status == 0, "\(result.stderr)")
        let text = result.stdout
        #expect(text.hasPrefix("sim/echo (version "), "\(text)")
        #expect(text.contains("official"))
        #expect(text.contains("Returns its input"))
        #expect(text.contains("Inputs, in order (other keys are accepted too):"), "\(text)")
        let lines = text.split(separator: "\n").map(String.init)
        let textLine = lines.first { $0.hasPrefix("  text ") }
        let fileLine = lines.first { $0.hasPrefix("  file ") }
        #expect(textLine?.contains("a string; optional") == true, "\(lines)")
        #expect(fileLine?.contains("a file (a URL or a data URI); optional") == true, "\(lines)")
        // The model's own order: text comes before file.
        #expect((lines.firstIndex { $0.hasPrefix("  text ") } ?? 99) < (lines.firstIndex { $0.hasPrefix("  file ") } ?? -1))
        #expect(text.contains("Output: not described by the schema"))

        // The printed example runs as it is.
        let example = try #require(Self.example(in: text))
        #expect(example == "local output = replicate.run(\"sim/echo\", {})")
        let run = try await kosmo(["--sim", "--allow", "run", "-e", example + " print(type(output))"])
        #expect(run.status == 0, "\(run.stderr)")
    }

    static func example(in text: String) -> String? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let index = lines.firstIndex(of: "Example:"), index + 1 < lines.count else { return nil }
        return lines[index + 1].trimmingCharacters(in: .whitespaces)
    }

    @Test("docs for flux-schnell: every input with its terms, and an example that passes the check and runs")
    func docsFluxText() async throws {
        let result = try await kosmo(["docs", "--sim", Self.flux])
        #expect(result.status == 0, "\(result.stderr)")
        let fields = Self.schemaFields(try await Self.rawSchema(Self.flux))
        #expect(fields.count >= 3)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        var last = -1
        for field in fields {
            let index = try #require(lines.firstIndex { $0.hasPrefix("  \(field.name) ") }, "no line for \(field.name): \(result.stdout)")
            #expect(index > last, "\(field.name) is out of the model's order")
            last = index
            let line = lines[index]
            if field.required && !field.hasDefault { #expect(line.contains("; required"), "\(line)") }
            if let minimum = field.minimum, let maximum = field.maximum, field.choices == nil {
                #expect(line.contains("from \(Self.number(minimum)) to \(Self.number(maximum))"), "\(line)")
            }
            if let choices = field.choices as? [String] {
                #expect(line.contains("one of " + choices.map { "\"\($0)\"" }.joined(separator: ", ")), "\(line)")
            }
        }
        #expect(result.stdout.contains("Output: a list of file URLs"), "\(result.stdout)")
        let example = try #require(Self.example(in: result.stdout))
        #expect(example.hasPrefix("local output = replicate.run(\"\(Self.flux)\", {prompt = "), "\(example)")
        let run = try await kosmo(["--sim", "--allow", "run", "-e", example + " print(#output, output[1])"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasPrefix("1\thttp://127.0.0.1:"), "\(run.stdout)")
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }

    @Test("docs --json for flux-schnell: the inputs in x-order with their types, limits, defaults and choices")
    func docsFluxJSON() async throws {
        let result = try await kosmo(["docs", "--sim", Self.flux, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 1, "one line of JSON: \(result.stdout)")
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
        #expect(object["model"] as? String == Self.flux)
        #expect((object["version"] as? String)?.count == 64)
        #expect(object["official"] as? Bool == true)
        let inputs = object["inputs"] as? [[String: Any]] ?? []
        let fields = Self.schemaFields(try await Self.rawSchema(Self.flux))
        #expect(inputs.compactMap { $0["name"] as? String } == fields.map(\.name), "not in x-order: \(inputs)")
        var limited = 0, enumerated = 0
        for (input, field) in zip(inputs, fields) {
            let name = field.name
            #expect(input["type"] as? String == field.type ?? "any", "\(name)")
            #expect(input["required"] as? Bool == field.required, "\(name)")
            #expect(input["file"] as? Bool == field.isFile, "\(name)")
            #expect((input["default"] != nil) == field.hasDefault, "\(name)")
            #expect((input["minimum"] as? NSNumber)?.doubleValue == field.minimum, "\(name)")
            #expect((input["maximum"] as? NSNumber)?.doubleValue == field.maximum, "\(name)")
            if let choices = field.choices {
                enumerated += 1
                #expect((input["choices"] as? [Any]).map { NSArray(array: $0) } == NSArray(array: choices), "\(name)")
            } else {
                #expect(input["choices"] == nil, "\(name)")
            }
            if field.minimum != nil || field.maximum != nil { limited += 1 }
        }
        // The schema has limits and an enum, so the comparison above checked them.
        #expect(limited > 0 && enumerated > 0)
        let width = inputs.first { $0["name"] as? String == "width" }
        #expect((width?["minimum"] as? NSNumber)?.doubleValue == 16 && (width?["maximum"] as? NSNumber)?.doubleValue == 1440)
        let output = object["output"] as? [String: Any] ?? [:]
        #expect(output["type"] as? String == "array")
        #expect(output["items"] as? String == "string")
        #expect(output["file"] as? Bool == true)
    }

    @Test("docs --json reads a named version, and an old schema's output as any")
    func docsVersion() async throws {
        let latest = try await kosmo(["docs", "--sim", "replicate/hello-world", "--json"])
        #expect(latest.status == 0, "\(latest.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(latest.stdout.utf8)) as? [String: Any] ?? [:]
        let version = try #require(object["version"] as? String)
        #expect(object["official"] as? Bool == false)
        let pinned = try await kosmo(["docs", "--sim", "replicate/hello-world:\(version)", "--json"])
        #expect(pinned.status == 0, "\(pinned.stderr)")
        let same = try JSONSerialization.jsonObject(with: Data(pinned.stdout.utf8)) as? [String: Any] ?? [:]
        #expect(same["version"] as? String == version)
        #expect(NSArray(array: same["inputs"] as? [Any] ?? []) == NSArray(array: object["inputs"] as? [Any] ?? []))
        #expect((same["inputs"] as? [[String: Any]])?.first?["required"] as? Bool == true)
    }

    // MARK: docs --stubs owner/name

    @Test("docs --stubs for flux-schnell: a class with every input as a field of its Lua type, optional ones with ?")
    func stubsFlux() async throws {
        let result = try await kosmo(["docs", "--sim", "--stubs", Self.flux])
        #expect(result.status == 0, "\(result.stderr)")
        let stubs = result.stdout
        let lines = stubs.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let base = "replicate.models.black_forest_labs.flux_schnell"
        #expect(lines.first == "---@meta \(base)")
        let classIndex = try #require(lines.firstIndex(of: "---@class \(base).Input"), "\(stubs)")
        // The fields follow the class line, up to the first blank line.
        let fieldLines = lines[(classIndex + 1)...].prefix { !$0.isEmpty }
        #expect(fieldLines.allSatisfy { $0.hasPrefix("---@field ") }, "\(fieldLines)")
        let fields = Self.schemaFields(try await Self.rawSchema(Self.flux))
        #expect(fieldLines.count == fields.count, "\(fieldLines)")
        for field in fields {
            let optional = !field.required || field.hasDefault
            let type: String
            if let choices = field.choices as? [String] {
                type = choices.map { "\"\($0)\"" }.joined(separator: "|")
            } else {
                switch field.type {
                case "string", "integer", "number", "boolean": type = field.type ?? ""
                case "array": type = "any[]"
                case "object": type = "table"
                default: type = "any"
                }
            }
            let prefix = "---@field \(field.name)\(optional ? "?" : "") \(type) "
            #expect(fieldLines.contains { $0.hasPrefix(prefix) }, "no '\(prefix)' among \(fieldLines)")
        }
        // prompt is required, so the field and the run overload's input are not optional.
        #expect(fieldLines.contains { $0.hasPrefix("---@field prompt string ") })
        #expect(lines.contains("---@alias \(base).Output string[]"), "\(stubs)")
        #expect(lines.contains("---@param ref \"\(Self.flux)\""))
        #expect(lines.contains("---@param input \(base).Input"))
        #expect(lines.contains("---@return \(base).Output output"))
        #expect(lines.contains("function replicate.run(ref, input, opts) end"))
        // Every line is a comment or the declaration, so the file loads as Lua (as LuaLS reads
        // a ---@meta file) and defines nothing at run time but that function.
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/flux.lua"
        try write(stubs, to: path)
        let load = try await runProcess(Binaries.lua, ["-e", "replicate = {} assert(loadfile('\(path)'))() assert(type(replicate.run) == 'function') print('ok')"])
        #expect(load.stdout == "ok\n", "\(load.stderr)")
        #expect(lines.allSatisfy { $0.isEmpty || $0.hasPrefix("--") || $0 == "function replicate.run(ref, input, opts) end" }, "\(stubs)")
    }

    @Test("docs --stubs for a model that takes any input says so, and its inputs are all optional")
    func stubsEcho() async throws {
        let result = try await kosmo(["docs", "--sim", "--stubs", "sim/echo"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("---@class replicate.models.sim.echo.Input\n---@field text? string"), "\(result.stdout)")
        #expect(result.stdout.contains("---@field file? string"))
        #expect(result.stdout.contains("---@field [string] any"))
        #expect(result.stdout.contains("---@param input? replicate.models.sim.echo.Input"))
        #expect(result.stdout.contains("---@alias replicate.models.sim.echo.Output any"))
    }

    // MARK: Errors

    @Test("docs for an unknown model, a missing version, a model without versions and a bare version id say what is wrong", arguments: [
        (["docs", "--sim", "nobody/nothing"], "no model nobody/nothing at 127.0.0.1 (HTTP 404)"),
        (["docs", "--sim", "--json", "nobody/nothing"], "no model nobody/nothing"),
        (["docs", "--sim", "--stubs", "nobody/nothing"], "no model nobody/nothing"),
        (["docs", "--sim", "sim/echo:0000000000000000000000000000000000000000000000000000000000000000"], "sim/echo has no version 0000"),
        (["docs", "--sim", "mattt/empty"], "mattt/empty has no version yet"),
        (["docs", "--sim", String(repeating: "a", count: 64)], "give owner/name:aaaa"),
        (["docs", "--sim", "a/b/c"], "is not a model reference"),
        (["docs", "--sim", "--stubs", "get_model"], "--stubs takes a model (owner/name)"),
        (["docs", "--sim", "--stubs", "--json", "sim/echo"], "give one of them"),
    ])
    func docsErrors(_ arguments: [String], _ expected: String) async throws {
        let result = try await kosmo(arguments)
        #expect(result.status == 1, "\(arguments): \(result.stdout) \(result.stderr)")
        #expect(result.stdout.isEmpty, "\(arguments): \(result.stdout)")
        #expect(result.stderr.contains(expected), "\(arguments): \(result.stderr)")
    }

    @Test("docs without --sim or a token says how to get one, and sends nothing")
    func docsWithoutToken() async throws {
        let home = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: home) }
        let result = try await kosmo(["docs", Self.flux], environment: [
            "REPLICATE_API_TOKEN": "", "REPLICATE_API_KEY": "", "HOME": home, "XDG_CONFIG_HOME": home, "KOSMO_LUA_CONFIG": "",
            "REPLICATE_URL": "http://127.0.0.1:9/v1",
        ])
        #expect(result.status == 1)
        #expect(result.stderr.contains("no API token") && result.stderr.contains("--sim"), "\(result.stderr)")
    }

    @Test("docs reads through the policy: a denied read is refused, naming where the denial comes from")
    func docsDeniedRead() async throws {
        let result = try await kosmo(["docs", "--sim", Self.flux], environment: ["KOSMO_LUA_READ": "deny"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("get_model") && result.stderr.contains("KOSMO_LUA_READ"), "\(result.stderr)")
    }

    // MARK: The input check, end to end

    /// A misspelt key, a wrong type, an enum miss and a range miss, with what the error must name.
    static let badInputs: [(code: String, expected: [String])] = [
        ("{promtp = \"x\"}", ["unknown input 'promtp' for black-forest-labs/flux-schnell", "did you mean 'prompt'?"]),
        ("{prompt = \"x\", width = \"wide\"}", ["input 'width'", "must be an integer from 16 to 1440", "got \"wide\""]),
        ("{prompt = \"x\", output_format = \"gif\"}", ["input 'output_format'", "must be one of \"png\"", "got \"gif\""]),
        ("{prompt = \"x\", num_outputs = 9}", ["input 'num_outputs'", "from 1 to 4", "got 9"]),
    ]

    @Test("A misspelt key, a wrong type, an enum miss and a range miss: a validation error naming the field and the fix", arguments: 0..<4)
    func inputCheckThroughTheBinary(_ index: Int) async throws {
        let (input, expected) = Self.badInputs[index]
        let script = try await kosmo(["--sim", "--allow", "run", "-e", "replicate.run(\"\(Self.flux)\", \(input))"])
        #expect(script.status == 1, "\(input): \(script.stdout)")
        #expect(script.stderr.contains("validation error in replicate.run"), "\(input): \(script.stderr)")
        for text in expected + ["nothing was sent (to send it anyway: validate = false)"] {
            #expect(script.stderr.contains(text), "\(input): no '\(text)' in \(script.stderr)")
        }

        let (result, envelope) = try await execJSON("return replicate.run(\"\(Self.flux)\", \(input))", ["--sim", "--allow", "run"])
        #expect(result.status == 1)
        #expect(envelope["ok"] as? Bool == false)
        #expect(errorKind(envelope) == "validation", "\(envelope)")
        for text in expected { #expect(errorMessage(envelope).contains(text), "\(input): \(errorMessage(envelope))") }
        // No call was sent for it (the request log test below reads the simulator's own log).
        for call in calls(envelope) where call["function"] as? String == "run" {
            #expect(call["status"] is NSNull || call["status"] == nil, "\(call)")
            #expect(call["prediction_id"] is NSNull || call["prediction_id"] == nil, "\(call)")
        }
    }

    /// The POSTs that create something in the simulator's request log.
    static func creates(_ sim: SimProcess) async throws -> [[String: Any]] {
        let log = try await sim.fetch("/_sim/requests")
        let parsed = try JSONSerialization.jsonObject(with: Data(log.utf8))
        let records = parsed as? [[String: Any]] ?? (parsed as? [String: Any])?["requests"] as? [[String: Any]] ?? []
        #expect(!records.isEmpty, "the request log is empty: \(log.prefix(300))")
        return records.filter { ($0["method"] as? String) == "POST" && (($0["path"] as? String) ?? "").hasSuffix("/predictions") }
    }

    @Test("Inputs the check refuses send no create to the simulator; a good one and validate = false do")
    func noCreateForRefusedInputs() async throws {
        let sim = try await SimProcess.start()
        defer { sim.stop() }
        let environment = ["REPLICATE_URL": sim.baseURL, "REPLICATE_API_TOKEN": "r8_test", "KOSMO_LUA_CACHE": "off"]
        for (input, expected) in Self.badInputs {
            let result = try await kosmo(["--allow", "run", "-e", "replicate.run(\"\(Self.flux)\", \(input))"], environment: environment)
            #expect(result.status == 1)
            #expect(result.stderr.contains("validation error") && result.stderr.contains(expected[0]), "\(result.stderr)")
        }
        let refused = try await Self.creates(sim)
        #expect(refused.isEmpty, "a refused input reached the API: \(refused)")

        // An integer given as a whole float fits an integer field, and the run is sent.
        let good = try await kosmo(["--allow", "run", "-e", "print(#replicate.run(\"\(Self.flux)\", {prompt = \"x\", num_outputs = 2.0}))"],
                                   environment: environment)
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stdout == "2\n")
        #expect(try await Self.creates(sim).count == 1)

        // validate = false sends the misspelt key, and the API refuses it instead.
        let unchecked = try await kosmo(["--allow", "run", "-e", "replicate.run(\"\(Self.flux)\", {promtp = \"x\"}, {validate = false})"],
                                        environment: environment)
        #expect(unchecked.status == 1)
        #expect(unchecked.stderr.contains("http error") && unchecked.stderr.contains("422"), "\(unchecked.stderr)")
        let sent = try await Self.creates(sim)
        #expect(sent.count == 2, "\(sent)")
        #expect(sent.allSatisfy { ($0["path"] as? String) == "/v1/models/\(Self.flux)/predictions" }, "\(sent)")
    }

    @Test("run(owner/name) works for a community model (through its latest version) and an official one (its model endpoint)")
    func ownerNameRuns() async throws {
        let script = try await kosmo(["--sim", "--allow", "run", "-e", "print(replicate.run(\"replicate/hello-world\", {text = \"x\"}))"])
        #expect(script.status == 0, "\(script.stderr)")
        #expect(script.stdout == "hello x\n")

        let sim = try await SimProcess.start()
        defer { sim.stop() }
        let environment = ["REPLICATE_URL": sim.baseURL, "REPLICATE_API_TOKEN": "r8_test", "KOSMO_LUA_CACHE": "off"]
        let community = try await kosmo(["--allow", "run", "-e", "print(replicate.run(\"replicate/hello-world\", {text = \"x\"}))"],
                                        environment: environment)
        #expect(community.status == 0, "\(community.stderr)")
        #expect(community.stdout == "hello x\n")
        let official = try await kosmo(["--allow", "run", "-e", "print(replicate.run(\"sim/echo\", {text = \"y\"}).text)"], environment: environment)
        #expect(official.status == 0, "\(official.stderr)")
        #expect(official.stdout == "y\n")
        let paths = try await Self.creates(sim).compactMap { $0["path"] as? String }
        #expect(paths == ["/v1/predictions", "/v1/models/sim/echo/predictions"], "\(paths)")
    }
}
