import Foundation
import RecordedFixtures
import Testing
@testable import ReplicateSim

/// Replays every recorded interaction (real api.replicate.com traffic) against the simulator,
/// substituting the simulator's own ids for recorded ones, and checks the status and that
/// every key of the recorded body is present with the same JSON type.
@Suite("recorded shapes")
struct ShapeTests {
    struct Interaction {
        var method: String
        var path: String
        var requestBody: String
        var status: Int
        var responseBody: String
    }

    static func fixtureNames() -> [String] {
        guard let dir = RecordedFixtures.directory,
            let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path)
        else { return [] }
        return names.filter { $0.hasSuffix(".json") }.sorted()
    }

    static func load(_ name: String) throws -> [Interaction] {
        let url = try #require(RecordedFixtures.url(name))
        let json = try #require(JSON.parse(try Data(contentsOf: url)))
        return (json["interactions"]?.array ?? []).map { i in
            Interaction(
                method: i["request"]?["method"]?.string ?? "GET", path: i["request"]?["path"]?.string ?? "/",
                requestBody: i["request"]?["body"]?.string ?? "", status: i["response"]?["status"]?.int ?? 0,
                responseBody: i["response"]?["body"]?.string ?? "")
        }
    }

    @Test func fixturesArePresent() throws {
        #expect(Self.fixtureNames().count >= 19)
        for name in Self.fixtureNames() { #expect(try !Self.load(name).isEmpty, "\(name) has no interactions") }
    }

    /// The comparison itself must catch drift, or the replay proves nothing.
    @Test func comparisonCatchesMissingKeysAndTypeChanges() {
        let recorded: JSON = ["id": "a", "metrics": ["predict_time": 1.5], "urls": ["get": "x"], "logs": nil, "list": [["k": 1]]]
        #expect(Self.compare(recorded, recorded, path: "$").isEmpty)
        #expect(Self.compare(recorded, ["id": "b", "metrics": ["predict_time": 2], "urls": ["get": "y"], "logs": "", "list": [["k": 2]]], path: "$").isEmpty)
        #expect(Self.compare(recorded, ["id": "b", "metrics": [:], "urls": ["get": "y"], "logs": "", "list": []], path: "$") == ["$.metrics.predict_time missing"])
        #expect(Self.compare(recorded, ["id": 5, "metrics": ["predict_time": 1], "urls": ["get": "y"], "logs": "", "list": [["k": "1"]]], path: "$").sorted()
            == ["$.id: string recorded, number simulated", "$.list[0].k: number recorded, string simulated"])
    }

    @Test(arguments: ShapeTests.fixtureNames())
    func replay(_ name: String) async throws {
        let interactions = try Self.load(name)
        let badToken = name.contains("invalid-token")
        try await withSim({ $0.speed = 50; $0.token = testToken }) { (sim) async throws in
            var ids: [String: String] = [:]  // recorded id -> simulator id
            for (n, i) in interactions.enumerated() {
                var path = i.path
                try await Self.ensureReferencedObjects(in: path, ids: &ids, sim: sim, later: interactions[n...])
                for (old, new) in ids { path = path.replacingOccurrences(of: old, with: new) }
                var headers: [String: String] = [:]
                var body: Data? = i.requestBody.isEmpty ? nil : Data(i.requestBody.utf8)
                if i.requestBody.hasPrefix("--"), let boundary = i.requestBody.split(separator: "\r\n").first?.dropFirst(2) {
                    headers["content-type"] = "multipart/form-data; boundary=\(boundary)"
                } else if body != nil {
                    headers["content-type"] = "application/json"
                }
                if i.requestBody.isEmpty { body = nil }
                // A recorded GET that saw finished work: let the simulator's copy finish too, so the
                // comparison is of like states (terminal keys such as metrics.predict_time).
                let recordedStatus = JSON.parse(Data(i.responseBody.utf8))?["status"]?.string
                if i.method == "GET", !badToken, path.split(separator: "/").count == 3,
                    ["succeeded", "failed", "canceled"].contains(recordedStatus ?? "")
                {
                    _ = try await sim.waitTerminal(path, seconds: 10)
                }
                let reply = try await sim.call(i.method, path, body: body, headers: headers, token: badToken ? "wrong" : testToken)
                let where_ = "\(name) #\(n) \(i.method) \(i.path)"
                #expect(reply.status == i.status, "\(where_): status \(reply.status), body \(reply.text.prefix(300))")
                let recorded = JSON.parse(Data(i.responseBody.utf8))
                if let recorded {
                    let mine = try #require(reply.json, "\(where_): simulator body is not JSON: \(reply.text.prefix(200))")
                    let problems = Self.compare(recorded, mine, path: "$")
                    #expect(problems.isEmpty, "\(where_): \(problems.joined(separator: "; "))")
                    // Map ids of objects the simulator created.
                    if let rid = recorded["id"]?.string, let sid = mine["id"]?.string, rid != sid { ids[rid] = sid }
                } else {
                    #expect(reply.body.isEmpty == i.responseBody.isEmpty, "\(where_): body emptiness differs")
                }
            }
        }
    }

    /// Recorded GETs/cancels of predictions, trainings or files that the recording created
    /// elsewhere: create an equivalent object in the simulator first.
    static func ensureReferencedObjects(in path: String, ids: inout [String: String], sim: Simulator, later: ArraySlice<Interaction>) async throws {
        let parts = path.split(separator: "/").map(String.init)  // ["v1", "predictions", id, ...]
        guard parts.count >= 3, ["predictions", "trainings"].contains(parts[1]) else { return }
        let rid = parts[2]
        guard ids[rid] == nil else { return }
        // Take version and input from the recorded answer for this object.
        guard let sample = later.compactMap({ JSON.parse(Data($0.responseBody.utf8)) }).first(where: { $0["id"]?.string == rid }),
            let version = sample["version"]?.string, let input = sample["input"]
        else { return }
        let created: Reply
        if parts[1] == "trainings" {
            let model = sample["model"]?.string ?? "stability-ai/sdxl"
            created = try await sim.call(
                "POST", "/v1/models/\(model)/versions/\(version)/trainings", json: ["destination": "replicate/dreambooth-sdxl", "input": input])
        } else {
            created = try await sim.call("POST", "/v1/predictions", json: ["version": .string(version), "input": input])
        }
        if let sid = created["id"]?.string { ids[rid] = sid }
        // Let it reach the state the recording saw (most recorded GETs are of finished work).
        _ = try await sim.waitTerminal("/v1/\(parts[1])/\(ids[rid] ?? rid)", seconds: 10)
    }

    /// Keys whose contents are model-specific (schemas, inputs, examples): only the type is compared.
    static let opaque: Set<String> = ["input", "openapi_schema", "default_example", "metadata", "output"]

    static func kind(_ j: JSON) -> String {
        switch j {
        case .int, .double: return "number"
        default: return j.typeName
        }
    }

    static func compare(_ recorded: JSON, _ mine: JSON, path: String) -> [String] {
        if recorded == .null || mine == .null { return [] }  // nullable fields: either side may be null
        guard kind(recorded) == kind(mine) else { return ["\(path): \(kind(recorded)) recorded, \(kind(mine)) simulated"] }
        switch (recorded, mine) {
        case (.object(let a), .object(let b)):
            var problems: [String] = []
            for (k, v) in a {
                guard let w = b[k] else { problems.append("\(path).\(k) missing"); continue }
                if opaque.contains(k) {
                    if v != .null, w != .null, kind(v) != kind(w) { problems.append("\(path).\(k): \(kind(v)) recorded, \(kind(w)) simulated") }
                } else {
                    problems += compare(v, w, path: "\(path).\(k)")
                }
            }
            return problems
        case (.array(let a), .array(let b)):
            guard let x = a.first, let y = b.first else { return [] }
            return compare(x, y, path: "\(path)[0]")
        default:
            return []
        }
    }
}
