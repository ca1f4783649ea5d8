import Foundation
import Testing

/// Outputs kept (`--save DIR`, `opts.save`), through the built binary against `kosmo-lua sim`:
/// every output file in the folder under its checksum with a manifest line, also when the
/// simulator deletes prediction data soon after; a re-run skips what is saved and verified; a
/// download cut short is never counted as saved.
@Suite("Saving outputs: the vault", .serialized)
struct SaveTests {
    struct Line: Decodable {
        struct Output: Decodable {
            var url: String
            var path: String?
            var sha256: String?
            var bytes: Int?
            var error: String?
        }
        var prediction_id: String
        var model: String?
        var version: String?
        var status: String?
        var outputs: [Output]
    }

    /// One record of the simulator's request log (`GET /_sim/requests`).
    struct Request: Decodable {
        var method: String
        var path: String
    }

    static func manifest(_ dir: String) throws -> [Line] {
        let text = try String(contentsOfFile: dir + "/manifest.jsonl", encoding: .utf8)
        return try text.split(separator: "\n").map { try JSONDecoder().decode(Line.self, from: Data($0.utf8)) }
    }

    /// The hex SHA-256 of a file, by `sha256sum`.
    static func sha256(_ path: String) async throws -> String {
        let result = try await runProcess("/usr/bin/sha256sum", [path])
        return String(result.stdout.prefix(64))
    }

    static func environment(_ sim: SimProcess) -> [String: String] {
        ["REPLICATE_URL": sim.baseURL, "REPLICATE_API_TOKEN": "r8_test"]
    }

    /// A map of `runs` image runs (two small images each) saving into `dir` by `how`.
    static func imageBatch(runs: Int, save how: String) -> String {
        let mapSave = how == "map" ? ", save = DIR" : ""
        let runSave = how == "run" ? ", {save = DIR}" : ""
        return """
            local DIR = arg[1]
            local items = {}
            for i = 1, \(runs) do items[i] = i end
            local outs = replicate.map(items, function(i)
              return replicate.run("black-forest-labs/flux-schnell", {prompt = "llama " .. i, num_outputs = 2, width = 32, height = 32}\(runSave))
            end, {concurrency = \(runs)\(mapSave)})
            print(#outs)
            """
    }

    /// Every line's files are in `dir` with the checksum and size the line gives.
    static func checkVault(_ dir: String, predictions: Int, filesEach: Int) async throws {
        let lines = try manifest(dir)
        #expect(lines.count == predictions)
        #expect(Set(lines.map(\.prediction_id)).count == predictions)
        for line in lines {
            #expect(line.model == "black-forest-labs/flux-schnell" && line.status == "succeeded" && line.version?.count == 64)
            #expect(line.outputs.count == filesEach, "\(line.outputs)")
            for output in line.outputs {
                let path = try #require(output.path, "\(output.url) not saved: \(output.error ?? "")")
                #expect(path.hasSuffix(".png") && path.hasPrefix(output.sha256 ?? "?"))
                let onDisk = try await sha256(dir + "/" + path)
                #expect(onDisk == output.sha256)
                let size = try FileManager.default.attributesOfItem(atPath: dir + "/" + path)[.size] as? Int
                #expect(size == output.bytes)
            }
        }
        // Nothing else is left in the folder: no temporary or partial files.
        let names = try FileManager.default.contentsOfDirectory(atPath: dir)
        let listed = Set(lines.flatMap { $0.outputs.compactMap(\.path) } + ["manifest.jsonl"])
        #expect(Set(names) == listed, "\(Set(names).subtracting(listed))")
    }

    @Test("--save: every output file in the folder with its checksum and a manifest line; opts.save on map and on run too")
    func vault() async throws {
        let sim = try await SimProcess.start()
        defer { _ = sim.stop() }
        for how in ["flag", "map", "run"] {
            let dir = try temporaryDirectory()
            let script = dir + "/batch.lua"
            try write(Self.imageBatch(runs: 5, save: how), to: script)
            let flags = how == "flag" ? ["--save", dir] : []
            let result = try await kosmo(["--allow", "run", "--quiet"] + flags + [script, dir], environment: Self.environment(sim), timeout: 60)
            #expect(result.status == 0, "\(how): \(result.stdout)\(result.stderr)")
            try FileManager.default.removeItem(atPath: script)
            try await Self.checkVault(dir, predictions: 5, filesEach: 2)
        }
    }

    @Test("Files are kept although the simulator deletes prediction data two seconds after it finishes")
    func vaultBeatsExpiry() async throws {
        let sim = try await SimProcess.start(["--expire-after", "2"])
        defer { _ = sim.stop() }
        let dir = try temporaryDirectory()
        let scripts = try temporaryDirectory()
        try write(Self.imageBatch(runs: 6, save: "map"), to: scripts + "/batch.lua")
        let result = try await kosmo(["--allow", "run", "--quiet", scripts + "/batch.lua", dir], environment: Self.environment(sim), timeout: 60)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        try await Self.checkVault(dir, predictions: 6, filesEach: 2)
        // The deletion is real: a few seconds on, the service side has nothing left to fetch.
        let url = try #require(try Self.manifest(dir).first?.outputs.first?.url)
        try await Task.sleep(nanoseconds: 3_500_000_000)
        let status = try await runProcess("/usr/bin/env", ["python3", "-c", """
            import sys, urllib.request, urllib.error
            try:
                urllib.request.urlopen(sys.argv[1]); print(200)
            except urllib.error.HTTPError as e:
                print(e.code)
            """, url])
        #expect(status.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "404")
    }

    @Test("A re-run skips what is saved and verified, and fetches again a file that was changed")
    func rerunSkipsSaved() async throws {
        let sim = try await SimProcess.start()
        defer { _ = sim.stop() }
        let dir = try temporaryDirectory()
        let scripts = try temporaryDirectory()
        try write("""
            local ids = {}
            for i = 1, 3 do
              local p = replicate.create_prediction{version = "black-forest-labs/flux-schnell", input = {prompt = "p" .. i, width = 32, height = 32}}
              ids[i] = p.id
            end
            print(table.concat(ids, " "))
            """, to: scripts + "/create.lua")
        try write("""
            for id in arg[1]:gmatch("%S+") do replicate.wait(id, {save = arg[2]}) end
            """, to: scripts + "/save.lua")
        let created = try await kosmo(["--allow", "create_prediction", scripts + "/create.lua"], environment: Self.environment(sim))
        #expect(created.status == 0, "\(created.stderr)")
        let ids = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)

        func fileFetches() async throws -> Int {
            let log = try JSONDecoder().decode([Request].self, from: Data(try await sim.fetch("/_sim/requests").utf8))
            return log.filter { $0.method == "GET" && $0.path.hasPrefix("/_sim/files/") }.count
        }
        let first = try await kosmo([scripts + "/save.lua", ids, dir], environment: Self.environment(sim))
        #expect(first.status == 0, "\(first.stderr)")
        try await Self.checkVault(dir, predictions: 3, filesEach: 1)
        let fetchesAfterFirst = try await fileFetches()
        #expect(fetchesAfterFirst == 3)

        // Again: nothing fetched, nothing added.
        let second = try await kosmo([scripts + "/save.lua", ids, dir], environment: Self.environment(sim))
        #expect(second.status == 0, "\(second.stderr)")
        #expect(try Self.manifest(dir).count == 3)
        #expect(try await fileFetches() == fetchesAfterFirst)

        // A saved file changed on disk no longer counts: the next run fetches it again.
        let changed = try #require(try Self.manifest(dir).first?.outputs.first?.path)
        try write("not the image", to: dir + "/" + changed)
        let third = try await kosmo([scripts + "/save.lua", ids, dir], environment: Self.environment(sim))
        #expect(third.status == 0, "\(third.stderr)")
        #expect(try await fileFetches() == fetchesAfterFirst + 1)
        let lines = try Self.manifest(dir)
        #expect(lines.count == 4, "the re-saved prediction's new line")
        #expect(try await Self.sha256(dir + "/" + changed) == lines.last?.outputs.first?.sha256)
    }

    @Test("A download cut short is never counted as saved and leaves nothing behind")
    func partialIsNotSaved() async throws {
        // A server that promises 100,000 bytes and closes after 1,000.
        let server = try LineProcess("/usr/bin/env", ["python3", "-u", "-c", """
            import socket
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", 0)); s.listen(16); print(s.getsockname()[1])
            while True:
                c, _ = s.accept(); c.recv(65536)
                c.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Type: image/png\\r\\nContent-Length: 100000\\r\\n\\r\\n" + b"x" * 1000)
                c.close()
            """])
        defer { kill(server.pid, SIGKILL); _ = server.close(timeout: 2) }
        let port = try #require(try await onThread { server.line(timeout: 10) }.map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) })
        let sim = try await SimProcess.start()
        defer { _ = sim.stop() }
        let dir = try temporaryDirectory()
        // sim/echo returns its input: an output that names the cutting server's file.
        let result = try await kosmo(["--allow", "run", "--save", dir, "-e",
                                      "print(replicate.run('sim/echo', {text = 'http://127.0.0.1:\(port)/cut.png'}).text)"],
                                     environment: Self.environment(sim), timeout: 60)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let lines = try Self.manifest(dir)
        #expect(lines.count == 1)
        let output = try #require(lines.first?.outputs.first)
        #expect(output.path == nil && output.sha256 == nil, "\(output)")
        #expect(output.error != nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["manifest.jsonl"])
    }

    @Test("A save folder that cannot be used fails the run before anything is created")
    func badFolderFailsFirst() async throws {
        let sim = try await SimProcess.start()
        defer { _ = sim.stop() }
        let dir = try temporaryDirectory()
        try write("a file", to: dir + "/plain")
        let result = try await kosmo(["--allow", "run", "-e", "replicate.run('sim/echo', {text = 'x'}, {save = '\(dir)/plain'})"],
                                     environment: Self.environment(sim))
        #expect(result.status == 1)
        #expect(result.stderr.contains("is not a directory"), "\(result.stderr)")
        let log = try await sim.fetch("/_sim/requests")
        #expect(!log.contains("predictions"), "nothing was created")
        // In the sandbox a folder outside the grants is refused the same way.
        let (_, envelope) = try await execJSON("return replicate.run('sim/echo', {text = 'x'}, {save = '\(dir)'})", ["--allow", "run"],
                                               environment: Self.environment(sim))
        #expect(errorKind(envelope) == "permission", "\(envelope)")
        #expect(errorMessage(envelope).contains("--allow-write"), "\(envelope)")
    }
}
