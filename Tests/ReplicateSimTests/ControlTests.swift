import AsyncHTTPClient
import Foundation
import Testing
@testable import ReplicateSim

@Suite("pagination, rate limits, faults, request log")
struct ControlTests {
    @Test func paginationWithSmallPages() async throws {
        try await withSim({ $0.pageSize = 2 }) { (sim) async throws in
            var ids: [String] = []
            for i in 0..<5 {
                let r = try await sim.call("POST", "/v1/models/sim/echo/predictions", json: ["input": ["text": .string("n\(i)")]])
                ids.append(try #require(r["id"]?.string))
            }
            var url: String? = "/v1/predictions"
            var seen: [String] = []
            var pages = 0
            var lastPage: Reply?
            while let u = url, pages < 10 {
                let page = try await sim.call("GET", u)
                #expect(page.status == 200)
                let results = try #require(page["results"]?.array)
                #expect(results.count <= 2)
                seen += results.compactMap { $0["id"]?.string }
                url = page["next"]?.string
                if let u = url { #expect(u.hasPrefix(sim.root + "/v1/predictions?cursor=")) }
                pages += 1
                lastPage = page
            }
            #expect(pages == 3)
            #expect(seen == ids.reversed())
            // `previous` walks back.
            let prev = try #require(lastPage?["previous"]?.string)
            let back = try await sim.call("GET", prev)
            #expect(back["results"]?.array?.compactMap { $0["id"]?.string } == Array(ids.reversed()[2..<4]))
            #expect(try await sim.call("GET", "/v1/predictions?cursor=%%%").status == 400)
        }
    }

    @Test func rateLimit429WithRetryAfter() async throws {
        try await withSim({ $0.otherRequestsPerMinute = 5; $0.createsPerMinute = 2 }) { (sim) async throws in
            for _ in 0..<5 { #expect(try await sim.call("GET", "/v1/account").status == 200) }
            let r = try await sim.call("GET", "/v1/account")
            #expect(r.status == 429)
            let retry = Int(r.headers.first(name: "retry-after") ?? "") ?? 0
            #expect(retry >= 1 && retry <= 60)
            #expect(r["detail"] == .string("Request was throttled. Your rate limit resets in ~\(retry)s."))
            // Creates have their own budget.
            for _ in 0..<2 {
                #expect(try await sim.call("POST", "/v1/models/sim/echo/predictions", json: ["input": [:]]).status == 201)
            }
            #expect(try await sim.call("POST", "/v1/models/sim/echo/predictions", json: ["input": [:]]).status == 429)
            // Per token: another token still has its budget.
            #expect(try await sim.call("GET", "/v1/account", token: "other").status == 200)
        }
    }

    @Test func faultSpecParsing() throws {
        let f = try FaultSpec(parsing: "429:0.1,503:0.05,reset:0.02,latency:20ms,malformed:0.01")
        #expect(f.throttle == 0.1 && f.unavailable == 0.05 && f.reset == 0.02 && f.malformed == 0.01)
        #expect(f.latency == .milliseconds(20))
        #expect(throws: FaultSpec.ParseError.self) { try FaultSpec(parsing: "418:0.1") }
        do {
            _ = try FaultSpec(parsing: "429:0.1,503:lots")
            Issue.record("expected an error")
        } catch let e as FaultSpec.ParseError {
            #expect(e.description.contains("503:lots"))
        }
        #expect(throws: FaultSpec.ParseError.self) { try FaultSpec(parsing: "latency:fast") }
    }

    /// Runs 60 requests and returns the outcome of each (status, or "reset"/"malformed").
    static func outcomes(seed: UInt64) async throws -> [String] {
        try await withSim({
            $0.faults = (try? FaultSpec(parsing: "429:0.2,503:0.2,reset:0.1,malformed:0.1")) ?? .none
            $0.seed = seed
        }) { (sim) async throws in
            var out: [String] = []
            for _ in 0..<60 {
                do {
                    let r = try await sim.call("GET", "/v1/hardware")
                    out.append(r.status == 200 && r.json == nil ? "malformed" : String(r.status))
                } catch {
                    out.append("reset")
                }
            }
            let log = sim.requests()
            #expect(log.count == 60)
            #expect(log.filter { $0.fault == "reset" }.count == out.filter { $0 == "reset" }.count)
            return out
        }
    }

    @Test func faultInjectionIsDeterministicPerSeed() async throws {
        let a = try await Self.outcomes(seed: 42)
        let b = try await Self.outcomes(seed: 42)
        let c = try await Self.outcomes(seed: 7)
        #expect(a == b)
        #expect(a != c)
        for kind in ["200", "429", "503", "reset", "malformed"] { #expect(a.contains(kind), "\(kind) in \(a)") }
    }

    @Test func latencyFault() async throws {
        try await withSim({ $0.faults = (try? FaultSpec(parsing: "latency:150ms")) ?? .none }) { (sim) async throws in
            let start = Date()
            #expect(try await sim.call("GET", "/v1/hardware").status == 200)
            #expect(Date().timeIntervalSince(start) >= 0.14)
        }
    }

    @Test func requestLogRecordsAndClears() async throws {
        try await withSim { (sim) async throws in
            _ = try await sim.call("GET", "/v1/account")
            _ = try await sim.call("GET", "/v1/predictions/missing?x=1")
            _ = try await sim.call("GET", "/v1/account", token: nil)
            let log = sim.requests()
            #expect(log.map(\.path) == ["/v1/account", "/v1/predictions/missing", "/v1/account"])
            #expect(log.map(\.status) == [200, 404, 401])
            #expect(log[1].query == "x=1")
            #expect(log[2].authenticated == false)
            let served = try await sim.call("GET", "/_sim/requests", token: nil)
            let records = try JSONDecoder().decode([SimRequestRecord].self, from: served.body)
            #expect(records == log)
            #expect(try await sim.call("DELETE", "/_sim/requests", token: nil).status == 204)
            #expect(sim.requests().isEmpty)
            _ = try await sim.call("GET", "/v1/hardware")
            sim.clearRequests()
            #expect(sim.requests().isEmpty)
        }
    }
}
