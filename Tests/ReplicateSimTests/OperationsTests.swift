import Foundation
import Testing
@testable import ReplicateSim

/// Every one of the 37 operations in the published spec (`functions.tsv`) answers with its
/// documented success status.
@Suite("all 37 operations")
struct OperationsTests {
    @Test func everyOperationAnswersWithItsSuccessStatus() async throws {
        try await withSim { (sim) async throws in
            var hit: [String: Int] = [:]
            func op(_ name: String, _ expected: Int, _ method: String, _ path: String, json: JSON? = nil, body: Data? = nil, headers: [String: String] = [:]) async throws -> Reply {
                let r = try await sim.call(method, path, json: json, body: body, headers: headers)
                #expect(r.status == expected, "\(name): \(method) \(path) -> \(r.status) \(r.text.prefix(200))")
                hit[name] = r.status
                return r
            }
            let hello = ToyModels.helloWorldVersion
            _ = try await op("get_account", 200, "GET", "/v1/account")
            _ = try await op("list_hardware", 200, "GET", "/v1/hardware")
            _ = try await op("get_default_webhook_secret", 200, "GET", "/v1/webhooks/default/secret")
            _ = try await op("list_collections", 200, "GET", "/v1/collections")
            _ = try await op("get_collection", 200, "GET", "/v1/collections/text-to-image")
            _ = try await op("search", 200, "GET", "/v1/search?query=llama")
            _ = try await op("search_models", 200, "QUERY", "/v1/models", body: Data("hello".utf8), headers: ["content-type": "text/plain"])
            _ = try await op("list_models", 200, "GET", "/v1/models")
            _ = try await op("get_model", 200, "GET", "/v1/models/replicate/hello-world")
            _ = try await op("get_model_readme", 200, "GET", "/v1/models/replicate/hello-world/readme")
            _ = try await op("list_model_versions", 200, "GET", "/v1/models/replicate/hello-world/versions")
            _ = try await op("get_model_version", 200, "GET", "/v1/models/replicate/hello-world/versions/\(hello)")
            _ = try await op("create_model", 201, "POST", "/v1/models", json: ["owner": "sim", "name": "ops", "visibility": "private", "hardware": "cpu"])
            _ = try await op("update_model", 200, "PATCH", "/v1/models/sim/ops", json: ["description": "d"])

            let p = try await op("create_prediction", 201, "POST", "/v1/predictions", json: ["version": .string(hello), "input": ["text": "a"]], headers: ["Prefer": "wait"])
            let pid = try #require(p["id"]?.string)
            _ = try await op("create_model_prediction", 201, "POST", "/v1/models/sim/echo/predictions", json: ["input": ["text": "b"]])
            _ = try await op("get_prediction", 200, "GET", "/v1/predictions/\(pid)")
            _ = try await op("list_predictions", 200, "GET", "/v1/predictions")
            _ = try await op("cancel_prediction", 200, "POST", "/v1/predictions/\(pid)/cancel")
            _ = try await op("list_model_examples", 200, "GET", "/v1/models/replicate/hello-world/examples")

            let trainable = try #require(try await sim.call("GET", "/v1/models/sim/trainable")["latest_version"]?["id"]?.string)
            let t = try await op("create_training", 201, "POST", "/v1/models/sim/trainable/versions/\(trainable)/trainings", json: ["destination": "sim/ops", "input": ["steps": 1000]])
            let tid = try #require(t["id"]?.string)
            _ = try await op("get_training", 200, "GET", "/v1/trainings/\(tid)")
            _ = try await op("list_trainings", 200, "GET", "/v1/trainings")
            _ = try await op("cancel_training", 200, "POST", "/v1/trainings/\(tid)/cancel")

            _ = try await op("create_deployment", 200, "POST", "/v1/deployments", json: ["name": "ops", "model": "replicate/hello-world", "version": .string(hello), "hardware": "cpu", "min_instances": 0, "max_instances": 1])
            _ = try await op("get_deployment", 200, "GET", "/v1/deployments/sim/ops")
            _ = try await op("list_deployments", 200, "GET", "/v1/deployments")
            _ = try await op("update_deployment", 200, "PATCH", "/v1/deployments/sim/ops", json: ["max_instances": 2])
            _ = try await op("create_deployment_prediction", 201, "POST", "/v1/deployments/sim/ops/predictions", json: ["input": ["text": "c"]])
            _ = try await op("delete_deployment", 204, "DELETE", "/v1/deployments/sim/ops")

            let (body, type) = multipart(Data("x".utf8), filename: "x.txt", type: "text/plain")
            let f = try await op("create_file", 201, "POST", "/v1/files", body: body, headers: ["content-type": type])
            let fid = try #require(f["id"]?.string)
            _ = try await op("get_file", 200, "GET", "/v1/files/\(fid)")
            _ = try await op("list_files", 200, "GET", "/v1/files")
            _ = try await op("download_file", 200, "GET", try #require(f["urls"]?["download"]?.string))
            _ = try await op("delete_file", 204, "DELETE", "/v1/files/\(fid)")

            // The training above was canceled, so sim/ops has no versions and can be deleted;
            // delete a version of another model to cover that operation.
            _ = try await op("delete_model_version", 202, "DELETE", "/v1/models/stability-ai/sdxl/versions/\(ToyModels.sdxlVersion)")
            _ = try await op("delete_model", 204, "DELETE", "/v1/models/sim/ops")

            #expect(hit.count == 37, "covered \(hit.count) operations: \(hit.keys.sorted())")
        }
    }
}
