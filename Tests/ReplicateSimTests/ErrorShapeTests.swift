import Foundation
import Testing
@testable import ReplicateSim

@Suite("problem+json errors")
struct ErrorShapeTests {
    @Test func unauthenticatedWithoutOrWithWrongToken() async throws {
        try await withSim({ $0.token = "right" }) { (sim) async throws in
            for token in [nil, "wrong", ""] as [String?] {
                let r = try await sim.call("GET", "/v1/account", token: token)
                #expect(r.status == 401)
                #expect(r.headers.first(name: "content-type") == "application/problem+json")
                #expect(r.json == ["title": "Unauthenticated", "detail": "You did not pass a valid authentication token", "status": 401])
            }
            #expect(try await sim.call("GET", "/v1/account", token: "right").status == 200)
        }
    }

    @Test func anyNonEmptyTokenByDefault() async throws {
        try await withSim { (sim) async throws in
            #expect(try await sim.call("GET", "/v1/account", token: "anything").status == 200)
            #expect(try await sim.call("GET", "/v1/account", token: nil).status == 401)
        }
    }

    @Test func notFoundShapes() async throws {
        try await withSim { (sim) async throws in
            for path in ["/v1/predictions/nope", "/v1/models/no/such", "/v1/files/nope", "/v1/deployments/sim/none", "/v1/trainings/x", "/v1/not-an-endpoint", "/v1/collections/none"] {
                let r = try await sim.call("GET", path)
                #expect(r.status == 404, "\(path)")
                #expect(r.headers.first(name: "content-type") == "application/problem+json")
                #expect(r["status"] == 404)
                #expect(r["detail"]?.string != nil)
            }
        }
    }

    @Test func inputValidation422() async throws {
        try await withSim { (sim) async throws in
            // required
            var r = try await sim.call("POST", "/v1/predictions", json: ["version": .string(ToyModels.helloWorldVersion), "input": [:]])
            #expect(r.status == 422)
            #expect(r.headers.first(name: "content-type") == "application/problem+json")
            #expect(r["title"] == "Input validation failed")
            #expect(r["detail"]?.string?.contains("text is required") == true)
            #expect(r["invalid_fields"]?.array?.first?["type"] == "required")
            // type
            r = try await sim.call("POST", "/v1/predictions", json: ["version": .string(ToyModels.helloWorldVersion), "input": ["text": 5]])
            #expect(r.status == 422)
            #expect(r["detail"]?.string?.contains("Expected: string, given: integer") == true)
            // range
            r = try await sim.call("POST", "/v1/models/black-forest-labs/flux-schnell/predictions", json: ["input": ["prompt": "x", "width": 100000]])
            #expect(r.status == 422)
            #expect(r["detail"]?.string?.contains("less than or equal to 1440") == true)
            // enum
            r = try await sim.call("POST", "/v1/models/black-forest-labs/flux-schnell/predictions", json: ["input": ["prompt": "x", "output_format": "gif"]])
            #expect(r.status == 422)
            #expect(r["invalid_fields"]?.array?.first?["type"] == "enum")
            // missing input altogether
            r = try await sim.call("POST", "/v1/models/sim/echo/predictions", json: [:])
            #expect(r.status == 422)
            // bad version
            r = try await sim.call("POST", "/v1/predictions", json: ["version": "deadbeef", "input": [:]])
            #expect(r.status == 422)
            #expect(r["title"] == "Invalid version or not permitted")
            // malformed JSON is a 400 problem, not a crash
            r = try await sim.call("POST", "/v1/predictions", body: Data("{not json".utf8), headers: ["content-type": "application/json"])
            #expect(r.status == 400)
            #expect(r["status"] == 400)
        }
    }

    @Test func nonOfficialModelByNameIs404() async throws {
        try await withSim { (sim) async throws in
            let r = try await sim.call("POST", "/v1/models/replicate/hello-world/predictions", json: ["input": ["text": "x"]])
            #expect(r.status == 404)
        }
    }
}
