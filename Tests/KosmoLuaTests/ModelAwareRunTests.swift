import Foundation
import Testing

/// Model-aware runs through the built binary, as a user runs them: `kosmo-lua exec --json` against
/// a `kosmo-lua sim` process, with what reached the API read back from the simulator's request
/// log. Inputs are checked against the model's schema before anything is spent; any model runs
/// by name; local files go inline or uploaded; `timeout` bounds the whole run.
@Suite struct ModelAwareRunTests {
    struct Logged: Decodable {
        var method: String
        var path: String
        var bodyBytes: Int
    }

    static func requests(_ sim: SimProcess) async throws -> [Logged] {
        let text = try await sim.fetch("/_sim/requests")
        return try JSONDecoder().decode([Logged].self, from: Data(text.utf8))
    }

    static func creates(_ logged: [Logged]) -> [Logged] {
        logged.filter { $0.method == "POST" && $0.path.hasSuffix("/predictions") }
    }

    /// `exec --json` with `code` against `sim`, writes allowed.
    static func exec(_ code: String, _ sim: SimProcess, directory: String? = nil, flags: [String] = []) async throws -> [String: Any] {
        let result = try await kosmo(["exec", "--json", "--write", "allow"] + flags + ["-"], stdin: code,
                                     environment: ["REPLICATE_URL": sim.baseURL, "REPLICATE_API_TOKEN": "sim-token"],
                                     directory: directory, timeout: 30)
        return envelope(result)
    }

    @Test("A misspelt key, a wrong type, an enum miss and a range miss are validation errors naming the field and the fix; nothing is created",
          arguments: [
              (#"{promtp = "a fox"}"#, "did you mean 'prompt'?"),
              (#"{prompt = "a fox", num_outputs = "two"}"#, "num_outputs"),
              (#"{prompt = "a fox", output_format = "gif"}"#, "\"png\""),
              (#"{prompt = "a fox", width = 5000}"#, "1440"),
          ])
    func badInputsAreRefusedBeforeSpending(_ input: String, _ named: String) async throws {
        let sim = try await SimProcess.start()
        defer { sim.stop() }
        let found = try await Self.exec(#"return replicate.run("black-forest-labs/flux-schnell", \#(input))"#, sim)
        #expect(errorKind(found) == "validation", "\(found)")
        #expect(errorMessage(found).contains(named) && errorMessage(found).contains("black-forest-labs/flux-schnell"), "\(errorMessage(found))")
        #expect(Self.creates(try await Self.requests(sim)).isEmpty)
    }

    @Test("owner/name runs an official model through its model endpoint and a community one through its latest version")
    func anyModelRunsByName() async throws {
        let sim = try await SimProcess.start()
        defer { sim.stop() }
        let found = try await Self.exec("""
            local image = replicate.run("black-forest-labs/flux-schnell", {prompt = "a fox"})
            local hello = replicate.run("replicate/hello-world", {text = "kosmo"})
            return {image[1]:match("^https?://") ~= nil, hello}
            """, sim)
        #expect(found["ok"] as? Bool == true, "\(found)")
        let result = found["result"] as? [Any] ?? []
        #expect(result.first as? Bool == true && result.last as? String == "hello kosmo", "\(found)")
        let paths = Self.creates(try await Self.requests(sim)).map(\.path)
        #expect(paths == ["/v1/models/black-forest-labs/flux-schnell/predictions", "/v1/predictions"], "\(paths)")
    }

    @Test("A 10 KB local file goes as a data URI in the create; a 600 KB one is uploaded and sent as its URL")
    func localFilesAsInputs() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data(repeating: 7, count: 10_000).write(to: URL(fileURLWithPath: directory + "/small.png"))
        try Data(repeating: 9, count: 600_000).write(to: URL(fileURLWithPath: directory + "/large.bin"))
        let sim = try await SimProcess.start()
        defer { sim.stop() }
        let found = try await Self.exec("""
            local small = replicate.run("sim/echo", {file = replicate.file("small.png")}).file
            local large = replicate.run("sim/echo", {file = "./large.bin"}).file
            return {small:sub(1, 22), large:match("^https?://") ~= nil}
            """, sim, directory: directory, flags: ["--allow-read", "."])
        let result = found["result"] as? [Any] ?? []
        #expect(result.first as? String == "data:image/png;base64," && result.last as? Bool == true, "\(found)")
        let logged = try await Self.requests(sim)
        let uploads = logged.filter { $0.method == "POST" && $0.path == "/v1/files" }
        #expect(uploads.count == 1 && (uploads.first?.bodyBytes ?? 0) > 600_000, "\(uploads)")
        let creates = Self.creates(logged)
        #expect(creates.count == 2 && creates[0].bodyBytes > 13_000 && creates[1].bodyBytes < 2_000, "\(creates)")
    }

    @Test("timeout = 2 on an 8-second model ends the run within 3 s as a timeout error, and the prediction is no longer running")
    func timeoutBoundsTheWholeRun() async throws {
        let sim = try await SimProcess.start()
        defer { sim.stop() }
        let started = Date()
        let found = try await Self.exec("""
            local ok, e = pcall(replicate.run, "sim/slow", {seconds = 8}, {timeout = 2})
            return {ok, e.kind, e.prediction.id}
            """, sim)
        let elapsed = Date().timeIntervalSince(started)
        let result = found["result"] as? [Any] ?? []
        #expect(result.count == 3 && result[0] as? Bool == false && result[1] as? String == "timeout", "\(found)")
        // The run itself (the snippet, which is the one call) ends within 3 s; the whole
        // process, with its start-up and the envelope, within 3.5 s.
        let snippetMS = (found["stats"] as? [String: Any])?["ms"] as? Double ?? .infinity
        #expect(snippetMS < 3000, "the run took \(snippetMS) ms")
        #expect(elapsed < 3.5, "took \(elapsed) s")
        let id = try #require(result.last as? String)
        let read = try await kosmo(["-e", "io.write(json.encode(replicate.get_prediction('\(id)')))"],
                                   environment: ["REPLICATE_URL": sim.baseURL, "REPLICATE_API_TOKEN": "sim-token"])
        let state = try JSONSerialization.jsonObject(with: Data(read.stdout.utf8)) as? [String: Any]
        #expect(["canceled", "aborted"].contains(state?["status"] as? String ?? ""), "\(state ?? [:])")
    }
}
