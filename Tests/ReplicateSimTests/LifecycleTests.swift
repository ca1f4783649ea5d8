import Foundation
import Testing
@testable import ReplicateSim

@Suite("prediction lifecycle")
struct LifecycleTests {
    @Test func helloWorldByVersionWithPreferWait() async throws {
        try await withSim { (sim) async throws in
            let r = try await sim.call(
                "POST", "/v1/predictions", json: ["version": .string(ToyModels.helloWorldVersion), "input": ["text": "Alice"]],
                headers: ["Prefer": "wait"])
            #expect(r.status == 201)
            #expect(r["status"] == "succeeded")
            #expect(r["output"] == "hello Alice")
            #expect(r["model"] == "replicate/hello-world")
            #expect(r["started_at"]?.string != nil)
            #expect(r["completed_at"]?.string != nil)
            #expect(r["metrics"]?["predict_time"]?.number != nil)
            #expect(r["metrics"]?["total_time"]?.number != nil)
            #expect(r["urls"]?["get"]?.string?.hasPrefix(sim.baseURL.absoluteString) == true)
        }
    }

    @Test func statesProgressWithoutWait() async throws {
        try await withSim({ $0.speed = 1 }) { (sim) async throws in
            let r = try await sim.call("POST", "/v1/models/sim/slow/predictions", json: ["input": ["seconds": 0.5]])
            #expect(r.status == 201)
            #expect(r["status"] == "starting")
            #expect(r["started_at"] == .null)
            let url = try #require(r["urls"]?["get"]?.string)
            var seen: Set<String> = []
            let end = Date().addingTimeInterval(10)
            while Date() < end {
                let g = try await sim.call("GET", url)
                if let s = g["status"]?.string { seen.insert(s) }
                if g["status"] == "succeeded" {
                    #expect(g["logs"]?.string?.contains("slept") == true)
                    break
                }
                try await Task.sleep(nanoseconds: 50_000_000)
            }
            #expect(seen.isSuperset(of: ["processing", "succeeded"]))
        }
    }

    @Test func preferWaitWithSecondsReturnsEarly() async throws {
        try await withSim({ $0.speed = 1 }) { (sim) async throws in
            let start = Date()
            let r = try await sim.call("POST", "/v1/models/sim/slow/predictions", json: ["input": ["seconds": 30]], headers: ["Prefer": "wait=1"])
            let elapsed = Date().timeIntervalSince(start)
            #expect(r.status == 201)
            // Still running after the 1 s wait ("starting" only if the machine is very loaded).
            #expect(r["status"] == "processing" || r["status"] == "starting")
            #expect(elapsed >= 0.9 && elapsed < 10)
            _ = try await sim.call("POST", "/v1/predictions/\(r["id"]?.string ?? "")/cancel")
        }
    }

    @Test func cancel() async throws {
        try await withSim({ $0.speed = 1 }) { (sim) async throws in
            let r = try await sim.call("POST", "/v1/models/sim/slow/predictions", json: ["input": ["seconds": 30]])
            let id = try #require(r["id"]?.string)
            let c = try await sim.call("POST", "/v1/predictions/\(id)/cancel")
            #expect(c.status == 200)
            #expect(c["status"] == "canceled")
            #expect(c["completed_at"]?.string != nil)
            try await Task.sleep(nanoseconds: 200_000_000)
            #expect(try await sim.call("GET", "/v1/predictions/\(id)")["status"] == "canceled")
        }
    }

    @Test func cancelAfterDeadline() async throws {
        // Speed 10: `Cancel-After: 5s` fires after 0.5 s of wall time; the model would run 3 s.
        try await withSim({ $0.speed = 10 }) { (sim) async throws in
            let r = try await sim.call("POST", "/v1/models/sim/slow/predictions", json: ["input": ["seconds": 30]], headers: ["Cancel-After": "5s"])
            #expect(r.status == 201)
            #expect(r["deadline"]?.string != nil)
            let done = try await sim.waitTerminal(try #require(r["urls"]?["get"]?.string), seconds: 10)
            // Past the deadline a running prediction is canceled; one that never started is aborted.
            if done["started_at"]?.string != nil {
                #expect(done["status"] == "canceled")
            } else {
                #expect(done["status"] == "aborted")
            }
            let created = try #require(done["created_at"]?.string.flatMap(Timestamp.parse))
            let completed = try #require(done["completed_at"]?.string.flatMap(Timestamp.parse))
            #expect(completed.timeIntervalSince(created) >= 0.45)
            #expect(completed.timeIntervalSince(created) < 2.9)  // well before the model's own 3 s
            let bad = try await sim.call("POST", "/v1/models/sim/slow/predictions", json: ["input": [:]], headers: ["Cancel-After": "soon"])
            #expect(bad.status == 400)
        }
        #expect(CancelAfter.parse("1h30m") == 5400)
        #expect(CancelAfter.parse("2") == 5)
        #expect(CancelAfter.parse("5m") == 300)
        #expect(CancelAfter.parse("x") == nil)
        // Past a year, or past what a Double holds, is refused, not turned into a date that traps.
        #expect(CancelAfter.parse("8760h") == 31_536_000)
        #expect(CancelAfter.parse("8761h") == nil)
        #expect(CancelAfter.parse("9223372036854775807s") == nil)
        #expect(CancelAfter.parse("1e400") == nil)
    }

    @Test("A huge Cancel-After is a 400, and timestamps at any date format without trapping")
    func hugeCancelAfterIsRefused() async throws {
        try await withSim { (sim) async throws in
            let r = try await sim.call("POST", "/v1/models/sim/echo/predictions", json: ["input": ["text": "x"]],
                                       headers: ["Cancel-After": "9223372036854775807s", "Prefer": "wait=5"])
            #expect(r.status == 400)
            let ok = try await sim.call("POST", "/v1/models/sim/echo/predictions", json: ["input": ["text": "x"]], headers: ["Prefer": "wait=5"])
            #expect(ok.status == 201)
        }
        #expect(Timestamp.string(Date(timeIntervalSince1970: 1e300)) == "9999-12-31T23:59:59.000000Z")
        #expect(Timestamp.string(Date(timeIntervalSince1970: .nan)) == "1970-01-01T00:00:00.000000Z")
    }

    @Test func failedModelHasErrorAndLogs() async throws {
        try await withSim { (sim) async throws in
            let r = try await sim.call("POST", "/v1/models/sim/fail/predictions", json: ["input": ["message": "boom"]], headers: ["Prefer": "wait=10"])
            #expect(r["status"] == "failed")
            #expect(r["error"] == "boom")
            #expect(r["logs"]?.string?.contains("about to fail") == true)
        }
    }

    @Test func echoDataURLAndFileURL() async throws {
        try await withSim { (sim) async throws in
            let data = "data:text/plain;base64," + Data("hello file".utf8).base64EncodedString()
            var r = try await sim.call("POST", "/v1/models/sim/echo/predictions", json: ["input": ["text": "t", "file": .string(data)]], headers: ["Prefer": "wait"])
            #expect(r["status"] == "succeeded")
            #expect(r["output"]?["file"]?.string == data)
            #expect(r["logs"]?.string?.contains("file: 10 bytes") == true)
            r = try await sim.call("POST", "/v1/models/sim/echo/predictions", json: ["input": ["file": "data:;base64,%%%"]])
            #expect(r.status == 422)
            r = try await sim.call("POST", "/v1/models/sim/echo/predictions", json: ["input": .object(["file": .string(sim.baseURL.absoluteString + "/files/missing")])])
            #expect(r.status == 422)
        }
    }

    @Test func textModelIsDeterministicAndHonoursMaxTokens() async throws {
        try await withSim { (sim) async throws in
            let body: JSON = ["input": ["prompt": "write about llamas", "max_tokens": 7]]
            let a = try await sim.call("POST", "/v1/models/meta/meta-llama-3-8b-instruct/predictions", json: body, headers: ["Prefer": "wait"])
            let b = try await sim.call("POST", "/v1/models/meta/meta-llama-3-8b-instruct/predictions", json: body, headers: ["Prefer": "wait"])
            #expect(a["status"] == "succeeded")
            #expect(a["output"]?.array?.count == 7)
            #expect(a["output"] == b["output"])
            #expect(a["metrics"]?["output_token_count"] == 7)
        }
    }

    @Test func imageModelReturnsRealPNGsServedBySimulator() async throws {
        try await withSim { (sim) async throws in
            let r = try await sim.call(
                "POST", "/v1/models/black-forest-labs/flux-schnell/predictions",
                json: ["input": ["prompt": "a cat", "width": 33, "height": 17, "num_outputs": 2]], headers: ["Prefer": "wait"])
            #expect(r["status"] == "succeeded")
            let urls = (r["output"]?.array ?? []).compactMap { $0.string }
            #expect(urls.count == 2)
            for u in urls {
                #expect(u.hasPrefix(sim.root + "/_sim/files/"))
                let png = try await sim.call("GET", u, token: nil)
                #expect(png.status == 200)
                #expect(png.headers.first(name: "content-type") == "image/png")
                #expect(Array(png.body.prefix(8)) == PNG.signature)
                // IHDR width/height, big-endian at bytes 16..<24
                let w = png.body[16..<20].reduce(0) { $0 << 8 | Int($1) }
                let h = png.body[20..<24].reduce(0) { $0 << 8 | Int($1) }
                #expect(w == 33 && h == 17)
            }
        }
    }

    @Test func pngIsStructurallyValid() throws {
        let data = PNG.gradient(width: 3, height: 2, seed: 1)
        let bytes = [UInt8](data)
        // Walk the chunks and check each CRC.
        var i = 8
        var types: [String] = []
        while i < bytes.count {
            let len = Int(bytes[i]) << 24 | Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
            let type = Array(bytes[(i + 4)..<(i + 8)])
            let body = Array(bytes[(i + 8)..<(i + 8 + len)])
            let crc = bytes[(i + 8 + len)..<(i + 12 + len)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            #expect(PNG.crc32(type + body) == crc)
            types.append(String(decoding: type, as: UTF8.self))
            i += 12 + len
        }
        #expect(types == ["IHDR", "IDAT", "IEND"])
        #expect(PNG.crc32(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(PNG.adler32(Array("Wikipedia".utf8)) == 0x11E6_0398)
    }
}
