import Foundation
import Testing
@testable import ReplicateSim

func multipart(_ content: Data, filename: String, type: String, metadata: String? = nil) -> (Data, String) {
    let boundary = "sim-boundary-\(UUID().uuidString)"
    var body = Data()
    body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"content\"; filename=\"\(filename)\"\r\nContent-Type: \(type)\r\n\r\n".utf8)
    body += content
    body += Data("\r\n".utf8)
    if let metadata {
        body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"metadata\"\r\n\r\n\(metadata)\r\n".utf8)
    }
    body += Data("--\(boundary)--\r\n".utf8)
    return (body, "multipart/form-data; boundary=\(boundary)")
}

@Suite("resources")
struct ResourceTests {
    @Test func filesUploadGetListDownloadDelete() async throws {
        try await withSim { (sim) async throws in
            let content = Data((0..<1000).map { UInt8($0 % 251) })
            let (body, type) = multipart(content, filename: "bytes.bin", type: "application/octet-stream", metadata: #"{"k":"v"}"#)
            let created = try await sim.call("POST", "/v1/files", body: body, headers: ["content-type": type])
            #expect(created.status == 201)
            #expect(created["size"] == 1000)
            #expect(created["name"] == "bytes.bin")
            #expect(created["metadata"] == ["k": "v"])
            #expect(created["checksums"]?["sha256"]?.string?.count == 64)
            let id = try #require(created["id"]?.string)
            #expect(try await sim.call("GET", "/v1/files/\(id)")["id"]?.string == id)
            #expect(try await sim.call("GET", "/v1/files")["results"]?.array?.count == 1)
            // Signed download works without a token; a tampered signature does not.
            let download = try #require(created["urls"]?["download"]?.string)
            let got = try await sim.call("GET", download, token: nil)
            #expect(got.status == 200)
            #expect(got.body == content)
            #expect(try await sim.call("GET", download.replacingOccurrences(of: "signature=", with: "signature=x")).status == 403)
            #expect(try await sim.call("GET", "/v1/files/\(id)/download").status == 400)
            // An uploaded file's URL works as a prediction input.
            let p = try await sim.call("POST", "/v1/models/sim/echo/predictions", json: ["input": ["file": .string(sim.baseURL.absoluteString + "/files/\(id)")]])
            #expect(p.status == 201)
            #expect(try await sim.call("DELETE", "/v1/files/\(id)").status == 204)
            #expect(try await sim.call("GET", "/v1/files/\(id)").status == 404)
            #expect(try await sim.call("DELETE", "/v1/files/\(id)").status == 404)
        }
    }

    @Test func deploymentsLifecycle() async throws {
        try await withSim { (sim) async throws in
            let create: JSON = [
                "name": "my-dep", "model": "replicate/hello-world", "version": .string(ToyModels.helloWorldVersion),
                "hardware": "cpu", "min_instances": 0, "max_instances": 2,
            ]
            let c = try await sim.call("POST", "/v1/deployments", json: create)
            #expect(c.status == 200)
            #expect(c["current_release"]?["number"] == 1)
            #expect(try await sim.call("POST", "/v1/deployments", json: create).status == 409)
            let u = try await sim.call("PATCH", "/v1/deployments/sim/my-dep", json: ["max_instances": 5])
            #expect(u["current_release"]?["number"] == 2)
            #expect(u["current_release"]?["configuration"]?["max_instances"] == 5)
            #expect(try await sim.call("PATCH", "/v1/deployments/sim/my-dep", json: ["min_instances": 9]).status == 422)
            #expect(try await sim.call("GET", "/v1/deployments")["results"]?.array?.count == 1)
            let p = try await sim.call("POST", "/v1/deployments/sim/my-dep/predictions", json: ["input": ["text": "dep"]], headers: ["Prefer": "wait"])
            #expect(p.status == 201)
            #expect(p["output"] == "hello dep")
            #expect(p["deployment"] == "sim/my-dep")
            #expect(try await sim.call("DELETE", "/v1/deployments/sim/my-dep").status == 204)
            #expect(try await sim.call("GET", "/v1/deployments/sim/my-dep").status == 404)
        }
    }

    @Test func trainingsCreateNewVersion() async throws {
        try await withSim { (sim) async throws in
            let m = try await sim.call("POST", "/v1/models", json: ["owner": "sim", "name": "my-tuned", "visibility": "private", "hardware": "cpu"])
            #expect(m.status == 201)
            let trainable = try #require(try await sim.call("GET", "/v1/models/sim/trainable")["latest_version"]?["id"]?.string)
            let missing = try await sim.call("POST", "/v1/models/sim/trainable/versions/\(trainable)/trainings", json: ["destination": "sim/nope", "input": [:]])
            #expect(missing.status == 404)
            #expect(missing.json == ["detail": "The specified training destination does not exist", "status": 404])
            let t = try await sim.call("POST", "/v1/models/sim/trainable/versions/\(trainable)/trainings", json: ["destination": "sim/my-tuned", "input": ["steps": 5]])
            #expect(t.status == 201)
            let done = try await sim.waitTerminal(try #require(t["urls"]?["get"]?.string))
            #expect(done["status"] == "succeeded")
            let newVersion = try #require(done["output"]?["version"]?.string)
            #expect(newVersion.hasPrefix("sim/my-tuned:"))
            let latest = try await sim.call("GET", "/v1/models/sim/my-tuned")["latest_version"]?["id"]?.string
            #expect(newVersion == "sim/my-tuned:" + (latest ?? ""))
            // The new version runs.
            let run = try await sim.call("POST", "/v1/predictions", json: ["version": .string(newVersion), "input": ["prompt": "x"]], headers: ["Prefer": "wait"])
            #expect(run["status"] == "succeeded")
            #expect(try await sim.call("GET", "/v1/trainings")["results"]?.array?.count == 1)
            // Cancel a second one.
            let t2 = try await sim.call("POST", "/v1/models/sim/trainable/versions/\(trainable)/trainings", json: ["destination": "sim/my-tuned", "input": ["steps": 1000]])
            let c = try await sim.call("POST", "/v1/trainings/\(t2["id"]?.string ?? "")/cancel")
            #expect(c["status"] == "canceled")
            // Versions without training support refuse.
            #expect(try await sim.call("POST", "/v1/models/replicate/hello-world/versions/\(ToyModels.helloWorldVersion)/trainings", json: ["destination": "sim/my-tuned", "input": [:]]).status == 400)
        }
    }

    @Test func modelsCrudSearchAndQuery() async throws {
        try await withSim({ $0.pageSize = 3 }) { (sim) async throws in
            let m = try await sim.call("POST", "/v1/models", json: ["owner": "sim", "name": "new-model", "visibility": "public", "hardware": "cpu", "description": "fresh"])
            #expect(m.status == 201)
            #expect(try await sim.call("POST", "/v1/models", json: ["owner": "sim", "name": "x", "visibility": "nope", "hardware": "cpu"]).status == 422)
            let p = try await sim.call("PATCH", "/v1/models/sim/new-model", json: ["description": "updated", "readme": "# hi"])
            #expect(p["description"] == "updated")
            #expect(try await sim.call("GET", "/v1/models/sim/new-model/readme").text == "# hi")
            #expect(try await sim.call("DELETE", "/v1/models/sim/new-model").status == 204)
            #expect(try await sim.call("DELETE", "/v1/models/sim/echo").status == 409)

            let q = try await sim.call("QUERY", "/v1/models", body: Data("llama".utf8), headers: ["content-type": "text/plain"])
            #expect(q.status == 200)
            let names = q["results"]?.array?.compactMap { $0["name"]?.string } ?? []
            #expect(names.contains("meta-llama-3-8b-instruct"))
            #expect(sim.requests().last?.method == "QUERY")

            let s = try await sim.call("GET", "/v1/search?query=image%20generation&limit=5")
            #expect(s["query"] == "image generation")
            #expect(s["models"]?.array?.isEmpty == false)
            #expect(try await sim.call("GET", "/v1/search").status == 400)

            let list = try await sim.call("GET", "/v1/models?sort_by=model_created_at&sort_direction=asc")
            #expect(list["results"]?.array?.count == 3)
            #expect(list["next"]?.string?.contains("sort_by=model_created_at") == true)

            let versions = try await sim.call("GET", "/v1/models/replicate/hello-world/versions")
            #expect(versions["results"]?.array?.first?["id"] == .string(ToyModels.helloWorldVersion))
            let v = try await sim.call("GET", "/v1/models/replicate/hello-world/versions/\(ToyModels.helloWorldVersion)")
            #expect(v["openapi_schema"]?["components"]?["schemas"]?["Input"]?["required"] == ["text"])
            #expect(try await sim.call("GET", "/v1/models/replicate/hello-world/examples")["results"]?.array != nil)
            #expect(try await sim.call("DELETE", "/v1/models/mattt/empty/versions/abc").status == 404)
        }
    }

    @Test func accountHardwareCollections() async throws {
        try await withSim { (sim) async throws in
            #expect(try await sim.call("GET", "/v1/account")["username"] == "sim")
            #expect(try await sim.call("GET", "/v1/hardware").json?.array?.first?["sku"] == "cpu")
            let c = try await sim.call("GET", "/v1/collections")
            let slug = try #require(c["results"]?.array?.first?["slug"]?.string)
            let one = try await sim.call("GET", "/v1/collections/\(slug)")
            #expect(one["models"]?.array?.isEmpty == false)
        }
    }
}
