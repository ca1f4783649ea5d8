import Foundation
import RecordedFixtures
import Testing

@testable import Replicate

/// One recorded exchange from `Tests/RecordedFixtures/recorded/*.json`.
struct RecordedInteraction {
    var file: String
    var method: String
    var path: String
    var status: Int
    var contentType: String
    var body: String
}

enum Fixtures {
    static func all() throws -> [RecordedInteraction] {
        guard let dir = RecordedFixtures.directory else {
            throw ReplicateError.validation("the recorded fixtures folder is missing")
        }
        var out: [RecordedInteraction] = []
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".json") }.sorted()
        for file in files {
            let json = try JSONValue(parsing: Data(contentsOf: dir.appendingPathComponent(file)))
            for interaction in json["interactions"]?.arrayValue ?? [] {
                out.append(
                    RecordedInteraction(
                        file: file,
                        method: interaction["request"]?["method"]?.stringValue ?? "",
                        path: interaction["request"]?["path"]?.stringValue ?? "",
                        status: Int(interaction["response"]?["status"]?.intValue ?? 0),
                        contentType: interaction["response"]?["content_type"]?.stringValue ?? "",
                        body: interaction["response"]?["body"]?.stringValue ?? ""))
            }
        }
        return out
    }
}

/// Decodes `json` as the model its request path implies, returning the re-encoded JSON and a label.
func decodeByPath(method: String, path: String, json: JSONValue) throws -> (String, JSONValue) {
    let p = path.replacingOccurrences(of: "/v1", with: "")
    func match(_ pattern: String) -> Bool { p.range(of: "^" + pattern + "$", options: .regularExpression) != nil }
    switch true {
    case match("/files") && method == "GET": return ("Page<File>", try Page<File>(json: json).toJSON())
    case match("/files(/[^/]+)?"): return ("File", try File(json: json).toJSON())
    case match("/collections"): return ("Page<ModelCollection>", try Page<ModelCollection>(json: json).toJSON())
    case match("/collections/[^/]+"): return ("Collection", try ModelCollection(json: json).toJSON())
    case match("/hardware"):
        return ("[Hardware]", .array(try (json.arrayValue ?? []).map { try Hardware(json: $0).toJSON() }))
    case match("/models/[^/]+/[^/]+/versions/[^/]+/trainings"), match("/trainings/[^/]+(/cancel)?"):
        return ("Training", try Training(json: json).toJSON())
    case match("/models/[^/]+/[^/]+/versions/[^/]+"): return ("ModelVersion", try ModelVersion(json: json).toJSON())
    case match("/models/[^/]+/[^/]+/predictions"), match("/predictions"), match("/predictions/[^/]+(/cancel)?"),
        match("/deployments/[^/]+/[^/]+/predictions"):
        return ("Prediction", try Prediction(json: json).toJSON())
    case match("/models") && method == "POST", match("/models/[^/]+/[^/]+"): return ("Model", try Model(json: json).toJSON())
    default:
        throw ReplicateError.validation("no model for \(method) \(path)")
    }
}

@Suite struct FixtureTests {
    @Test func everyRecordedSuccessDecodesAndReencodesToTheSameObject() throws {
        let interactions = try Fixtures.all()
        #expect(interactions.count >= 50)
        var checked: [String: Int] = [:]
        for i in interactions where (200...299).contains(i.status) && !i.body.isEmpty {
            let original = try JSONValue(parsing: i.body)
            let (label, reencoded) = try decodeByPath(method: i.method, path: i.path, json: original)
            #expect(reencoded == original, "\(i.file) \(i.method) \(i.path) as \(label)")
            checked[label, default: 0] += 1
            // Codable goes through the same path: JSONEncoder output parses back to the original.
            if label == "[Hardware]" {
                let items = try (original.arrayValue ?? []).map(Hardware.init(json:))
                #expect(try JSONValue(parsing: JSONEncoder().encode(items)) == original)
            }
            if label == "Prediction" {
                let p = try Prediction(json: original)
                let data = try JSONEncoder().encode(p)
                #expect(try JSONValue(parsing: data) == original)
                let back = try JSONDecoder().decode(Prediction.self, from: data)
                #expect(back.id == p.id && back.status == p.status)
            }
        }
        for label in ["Prediction", "Model", "ModelVersion", "Training", "File", "Page<File>", "Page<ModelCollection>", "[Hardware]"] {
            #expect(checked[label, default: 0] > 0, "no fixture exercised \(label)")
        }
    }

    @Test func typedFieldsCarryRecordedValues() throws {
        let all = try Fixtures.all()
        let get = try #require(all.first { $0.file == "predictions-get.json" })
        let p = try Prediction(json: JSONValue(parsing: get.body))
        #expect(p.id == "vgcm4plb7tgzlyznry5d5jkgvu")
        #expect(p.model == "stability-ai/sdxl")
        #expect(p.version == "39ed52f2a78e934b3ba6e2a89f5b1c712de7dfea535525255b1aa35c5565e08b")
        #expect(p.input?["seed"] == .int(42069))
        #expect(p.urls?.get == "https://api.replicate.com/v1/predictions/vgcm4plb7tgzlyznry5d5jkgvu")

        let model = try #require(all.first { $0.file == "models-get.json" })
        let m = try Model(json: JSONValue(parsing: model.body))
        #expect(m.fullName == "stability-ai/sdxl")
        #expect(m.runCount == 19_361_490)
        #expect(m.defaultExample?.status == .succeeded)
        #expect(m.latestVersion?.cogVersion != nil)

        let file = try #require(all.first { $0.file == "file-operations.json" && $0.method == "POST" })
        let f = try File(json: JSONValue(parsing: file.body))
        #expect(f.size == 0)
        #expect(f.checksums?["sha256"] == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(f.getURL == "https://api.replicate.com/v1/files/NGZiNmY2YzQtMThhZi00ZjcyLWFhZjktODg4NTY0NWNlMDEy")

        let hw = try #require(all.first { $0.file == "hardware-list.json" })
        let skus = try (JSONValue(parsing: hw.body).arrayValue ?? []).map { try Hardware(json: $0).sku }
        #expect(skus == ["cpu", "gpu-t4", "gpu-a40-small", "gpu-a40-large"])

        let created = try #require(all.first { $0.file == "test_models_predictions_create_blocking_True-10.json" })
        let streaming = try Prediction(json: JSONValue(parsing: created.body))
        #expect(streaming.urls?.stream?.hasPrefix("https://streaming-api") == true)
        #expect(streaming.dataRemoved == false)
    }

    @Test func unknownFieldsSurvive() throws {
        let json: JSONValue = ["id": "abc", "status": "succeeded", "brand_new_field": ["x": 1], "output": nil]
        let p = try Prediction(json: json)
        #expect(p.raw["brand_new_field"] == ["x": 1])
        #expect(p.toJSON() == json)
        #expect(p.output == nil)
    }

    @Test func recordedProblemDocumentsBecomeHTTPErrors() throws {
        let all = try Fixtures.all()
        let unauth = try #require(all.first { $0.file == "run__invalid-token.json" })
        let e = ReplicateError.http(status: unauth.status, body: Data(unauth.body.utf8), headers: [], operation: "create_prediction")
        #expect(e.kind == .http)
        #expect(e.status == 401)
        #expect(e.title == "Unauthenticated")
        #expect(e.detail == "You did not pass a valid authentication token")
        #expect(!e.description.contains("\n"))
        let notFound = try #require(all.first { $0.file == "trainings-create__invalid-destination.json" })
        let e2 = ReplicateError.http(status: notFound.status, body: Data(notFound.body.utf8), headers: [], operation: nil)
        #expect(e2.status == 404 && e2.title == nil && e2.detail == "The specified training destination does not exist")
    }

    @Test func deploymentAccountAndCollectionShapesFromTheSpec() throws {
        let deployment: JSONValue = [
            "owner": "acme", "name": "my-app-image-generator",
            "current_release": [
                "number": 1, "model": "stability-ai/sdxl", "version": "da77bc59", "created_at": "2024-02-15T16:32:57.018467Z",
                "created_by": ["type": "organization", "username": "acme", "name": "Acme Corp, Inc.", "avatar_url": "https://cdn.replicate.com/avatars/acme.png", "github_url": "https://github.com/acme"],
                "configuration": ["hardware": "gpu-t4", "min_instances": 1, "max_instances": 5],
            ],
        ]
        let d = try Deployment(json: deployment)
        #expect(d.currentRelease?.maxInstances == 5)
        #expect(d.currentRelease?.createdBy?.username == "acme")
        #expect(d.toJSON() == deployment)
        let account: JSONValue = ["type": "user", "username": "alice", "name": "Alice", "github_url": "https://github.com/alice"]
        #expect(try Account(json: account).toJSON() == account)
        let collection: JSONValue = ["name": "Super resolution", "slug": "super-resolution", "description": "x", "full_description": nil, "models": [["owner": "a", "name": "b", "url": "u"]]]
        let c = try ModelCollection(json: collection)
        #expect(c.models?.first?.fullName == "a/b")
        #expect(c.toJSON() == collection)
    }

    @Test func wrongFieldTypesNameTheField() {
        #expect {
            try Prediction(json: ["id": "x", "status": 3])
        } throws: { error in
            (error as? ReplicateError)?.message.contains("Prediction.status") == true
        }
        #expect {
            try Model(json: ["owner": "a", "name": "b", "run_count": "many"])
        } throws: { error in
            (error as? ReplicateError)?.message.contains("Model.run_count: expected an integer") == true
        }
    }
}
