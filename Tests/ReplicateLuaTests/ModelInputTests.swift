import Foundation
import LuaHost
import Replicate
@testable import ReplicateLua
import ReplicateSim
import Testing

/// A creating call's input is checked against the model version's schema before anyone is asked
/// and before any create is sent; `owner/name` runs any model, official or not.
@Suite("Model inputs checked before spending")
struct ModelInputTests {
    static func isCreate(_ request: SimRequestRecord) -> Bool {
        request.method == "POST" && (request.path.hasSuffix("/predictions") || request.path.hasSuffix("/trainings"))
    }

    @Test("A misspelt key, a wrong type, an enum miss and a range miss are validation errors naming the field; no create is sent")
    func refusedBeforeSending() async throws {
        try await withSim { sim in
            let outcome = try await runLua("""
                local function try(...) local ok, e = pcall(...); return {ok, e.kind, e.message} end
                return json.encode{
                  try(replicate.run, "black-forest-labs/flux-schnell", {promtp = "x"}),
                  try(replicate.run, "black-forest-labs/flux-schnell", {prompt = "x", width = "wide"}),
                  try(replicate.run, "black-forest-labs/flux-schnell", {prompt = "x", output_format = "gif"}),
                  try(replicate.create_model_prediction, {model_owner = "black-forest-labs", model_name = "flux-schnell",
                                                          input = {prompt = "x", num_outputs = 9}}),
                  try(replicate.stream, "meta/meta-llama-3-8b-instruct", {})}
                """, sim: sim) { $0.policy.force = true }
            let rows = try #require(outcome.json?.arrayValue, "\(String(describing: outcome.error))")
            for row in rows {
                #expect(row[0] == false && row[1] == "validation", "\(row)")
            }
            let messages = rows.compactMap { $0[2]?.stringValue }
            #expect(messages[0].contains("unknown input 'promtp' for black-forest-labs/flux-schnell; did you mean 'prompt'?"))
            #expect(messages[1].contains("input 'width' for black-forest-labs/flux-schnell must be an integer from 16 to 1440, got \"wide\""))
            #expect(messages[2].contains(#"must be one of "png", got "gif""#))
            #expect(messages[3].contains("input 'num_outputs'") && messages[3].contains("from 1 to 4, got 9"))
            #expect(messages[4].contains("missing input 'prompt' for meta/meta-llama-3-8b-instruct, which is required"))
            #expect(messages.allSatisfy { $0.contains("validate = false") })
            #expect(!sim.requests().contains(where: Self.isCreate), "\(sim.requests().map(\.path))")
        }
    }

    @Test("A check that fails asks nobody; validate = false sends it and the API refuses it instead")
    func noQuestionAndOptOut() async throws {
        try await withSim { sim in
            let approver = ScriptedApprover([.yes, .yes])
            let outcome = try await runLua("""
                local ok1, e1 = pcall(replicate.run, "black-forest-labs/flux-schnell", {promtp = "x"})
                local ok2, e2 = pcall(replicate.run, "black-forest-labs/flux-schnell", {promtp = "x"}, {validate = false})
                return json.encode{e1.kind, e2.kind, e2.status}
                """, sim: sim, approver: approver)
            #expect(outcome.json == ["validation", "http", 422], "\(String(describing: outcome.error))")
            #expect(approver.questions == 1)
            #expect(sim.requests().filter(Self.isCreate).count == 1)
        }
    }

    @Test("owner/name runs a community model through its latest version and an official one through its model endpoint")
    func anyReferenceRuns() async throws {
        try await withSim { sim in
            let outcome = try await runLua("""
                return json.encode{replicate.run("replicate/hello-world", {text = "x"}), replicate.run("sim/echo", {anything = 1}).anything}
                """, sim: sim) { $0.policy.force = true }
            #expect(outcome.json == ["hello x", 1], "\(String(describing: outcome.error))")
            let creates = sim.requests().filter(Self.isCreate).map(\.path)
            #expect(creates == ["/v1/predictions", "/v1/models/sim/echo/predictions"])
            // One lookup per model, however many runs.
            let again = try await runLua("""
                for i = 1, 3 do replicate.run("replicate/hello-world", {text = tostring(i)}) end
                """, sim: sim) { $0.policy.force = true }
            #expect(again.error == nil)
        }
    }

    @Test("The approval prompt names the model and shows every input key, long values shortened")
    func promptNamesTheModel() async throws {
        try await withSim { sim in
            let approver = ScriptedApprover([.no])
            let long = String(repeating: "a", count: 500)
            _ = try await runLua("""
                pcall(replicate.run, "black-forest-labs/flux-schnell", {prompt = "\(long)", seed = 1, width = 512, height = 512, num_outputs = 1})
                """, sim: sim, approver: approver)
            let line = try #require(approver.asked.first?.arguments)
            #expect(line.hasPrefix("model=black-forest-labs/flux-schnell "), "\(line)")
            for key in ["prompt=", "seed=1", "width=512", "height=512", "num_outputs=1"] { #expect(line.contains(key), "\(line)") }
            #expect(line.count < 400)
        }
    }

    @Test("timeout bounds the whole run: an 8-second model with timeout = 2 ends within 3 s as a timeout error, the prediction canceled")
    func timeoutBoundsTheRun() async throws {
        try await withSim(speed: 1) { sim in
            let started = Date()
            let outcome = try await runLua("""
                local ok, e = pcall(replicate.run, "sim/slow", {seconds = 8}, {timeout = 2})
                local now = replicate.get_prediction(e.prediction.id)
                return json.encode{ok, e.kind, e.prediction.status, now.status}
                """, sim: sim) { $0.policy.force = true }
            let elapsed = Date().timeIntervalSince(started)
            #expect(outcome.json == [false, "timeout", "canceled", "canceled"], "\(String(describing: outcome.error))")
            #expect(elapsed < 3.5, "took \(elapsed) s")
            let create = try #require(sim.requests().first(where: Self.isCreate))
            #expect(create.prefer == "wait=2")
        }
    }

    @Test("An output the schema displays concatenated is one string; raw = true keeps the tokens; model() describes the inputs")
    func shapedOutputsAndModel() async throws {
        try await withSim { sim in
            let outcome = try await runLua("""
                local text = replicate.run("meta/meta-llama-3-8b-instruct", {prompt = "hi", max_tokens = 5})
                local tokens = replicate.run("meta/meta-llama-3-8b-instruct", {prompt = "hi", max_tokens = 5}, {raw = true})
                local m = replicate.model("black-forest-labs/flux-schnell")
                return json.encode{type(text), type(tokens), table.concat(tokens) == text, m.inputs[1].name, m.inputs[1].required,
                                   m.output.type, m.output.file, m.official}
                """, sim: sim) { $0.policy.force = true }
            #expect(outcome.json == ["string", "table", true, "prompt", true, "array", true, true], "\(String(describing: outcome.error))")
        }
    }

    /// A fresh directory with a 10 KB `small.png` (inline as a data URI) and a 600 KB
    /// `large.bin` (uploaded).
    static func inputFiles() throws -> (directory: URL, small: URL, large: URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kosmo-inputs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let small = directory.appendingPathComponent("small.png"), large = directory.appendingPathComponent("large.bin")
        try Data(repeating: 7, count: 10_000).write(to: small)
        try Data(repeating: 9, count: 600_000).write(to: large)
        return (directory, small, large)
    }

    @Test("A local file as a file input: 10 KB goes inline as a data URI, 600 KB is uploaded after approval and sent as its URL")
    func localFiles() async throws {
        let (directory, small, large) = try Self.inputFiles()
        defer { try? FileManager.default.removeItem(at: directory) }
        try await withSim { sim in
            let outcome = try await runLua("""
                local a = replicate.run("sim/echo", {file = "\(small.path)"}).file
                local b = replicate.run("sim/echo", {file = replicate.file("\(large.path)")}).file
                local ok, e = pcall(replicate.run, "sim/echo", {file = "\(directory.path)/missing.png"})
                return json.encode{a:sub(1, 22), b:match("^https?://") ~= nil, e.kind}
                """, sim: sim) { $0.policy.force = true }
            #expect(outcome.json == ["data:image/png;base64,", true, "validation"], "\(String(describing: outcome.error))")
            let uploads = sim.requests().filter { $0.method == "POST" && $0.path == "/v1/files" }
            #expect(uploads.count == 1 && (uploads.first?.bodyBytes ?? 0) > 600_000)
        }
    }

    @Test("An open Lua file is a file input: the file it names is sent inline or uploaded; a closed file or a pipe is a validation error saying so")
    func openFiles() async throws {
        let (directory, small, large) = try Self.inputFiles()
        defer { try? FileManager.default.removeItem(at: directory) }
        try await withSim { sim in
            let outcome = try await runLua("""
                local f = io.open("\(small.path)", "rb")
                local a = replicate.run("sim/echo", {file = f}).file
                local g = io.open("\(large.path)", "rb")
                local b = replicate.run("sim/echo", {file = replicate.file(g)}).file
                g:close()
                local ok, closed = pcall(replicate.run, "sim/echo", {file = g})
                local p = io.popen("exit 0")
                local ok2, pipe = pcall(replicate.run, "sim/echo", {file = p})
                p:close()
                return json.encode{a:sub(1, 22), b:match("^https?://") ~= nil, closed.kind, tostring(closed):find("is closed", 1, true) ~= nil,
                                   pipe.kind, tostring(pipe):find("not a file on disk", 1, true) ~= nil}
                """, sim: sim) { $0.policy.force = true }
            #expect(outcome.json == ["data:image/png;base64,", true, "validation", true, "validation", true], "\(String(describing: outcome.error))")
            let uploads = sim.requests().filter { $0.method == "POST" && $0.path == "/v1/files" }
            #expect(uploads.count == 1 && (uploads.first?.bodyBytes ?? 0) > 600_000)
        }
    }

    @Test("A run the policy refuses outright is refused before any lookup: no request reaches the API")
    func deniedRunLooksNothingUp() async throws {
        try await withSim { sim in
            let outcome = try await runLua("""
                local ok, e = pcall(replicate.run, "black-forest-labs/flux-schnell", {prompt = "x", image = "./in.png"})
                return json.encode{ok, e.kind}
                """, sim: sim) { $0.policy.write = PolicySetting(.deny, source: "--write deny") }
            #expect(outcome.json == [false, "permission"], "\(String(describing: outcome.error))")
            #expect(sim.requests().isEmpty, "\(sim.requests().map(\.path))")
        }
    }
}
