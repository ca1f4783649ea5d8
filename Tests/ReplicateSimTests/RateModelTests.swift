import Foundation
@testable import ReplicateSim
import Testing

/// The simulator's two ways of counting its per-minute limits, and its deletion of prediction
/// data after a set time.
@Suite("Simulator: rate-limit models and data expiry")
struct RateModelTests {
    @Test("Fixed windows: the limit's worth per window, refused ones counted, reset a minute after the window opened")
    func fixedWindow() {
        let limiter = RateLimiter(createsPerMinute: 3, otherPerMinute: 0, model: .fixed)
        let t0 = Date(timeIntervalSince1970: 1_000_000)
        for i in 0..<3 { #expect(limiter.check(token: "a", isCreate: true, now: t0.addingTimeInterval(Double(i))) == nil) }
        // The fourth in the window is refused until the window (opened at t0) ends.
        #expect(limiter.check(token: "a", isCreate: true, now: t0.addingTimeInterval(10)) == 50)
        #expect(limiter.check(token: "a", isCreate: true, now: t0.addingTimeInterval(59)) == 1)
        // A new window at t0 + 60: three more at once, even though three were sent 58 s before.
        for _ in 0..<3 { #expect(limiter.check(token: "a", isCreate: true, now: t0.addingTimeInterval(60)) == nil) }
        #expect(limiter.check(token: "a", isCreate: true, now: t0.addingTimeInterval(60.5)) != nil)
        // Other requests are unlimited (0), and another token has its own budget.
        #expect(limiter.check(token: "a", isCreate: false, now: t0) == nil)
        #expect(limiter.check(token: "b", isCreate: true, now: t0.addingTimeInterval(10)) == nil)
    }

    @Test("Sliding window: never more than the limit in any minute; the wait is until the oldest leaves it")
    func slidingWindow() {
        let limiter = RateLimiter(createsPerMinute: 0, otherPerMinute: 3, model: .sliding)
        let t0 = Date(timeIntervalSince1970: 2_000_000)
        #expect(limiter.check(token: "a", isCreate: false, now: t0) == nil)
        #expect(limiter.check(token: "a", isCreate: false, now: t0.addingTimeInterval(20)) == nil)
        #expect(limiter.check(token: "a", isCreate: false, now: t0.addingTimeInterval(40)) == nil)
        // Full: the next is allowed when the one at t0 leaves the minute, 10 s from t0 + 50.
        #expect(limiter.check(token: "a", isCreate: false, now: t0.addingTimeInterval(50)) == 10)
        // Where a fixed window would reset (t0 + 60) only one place is free: the refusal above
        // was not counted, the one at t0 has left, those at t0 + 20 and + 40 have not.
        #expect(limiter.check(token: "a", isCreate: false, now: t0.addingTimeInterval(60.5)) == nil)
        #expect(limiter.check(token: "a", isCreate: false, now: t0.addingTimeInterval(61)) == 19)
        #expect(limiter.check(token: "a", isCreate: false, now: t0.addingTimeInterval(80.5)) == nil)
    }

    @Test("Over HTTP the sliding model answers 429 with a Retry-After until the oldest request leaves the minute")
    func slidingOverHTTP() async throws {
        try await withSim({ $0.rateLimitModel = .sliding; $0.otherRequestsPerMinute = 4 }) { (sim) async throws in
            for _ in 0..<4 { #expect(try await sim.call("GET", "/v1/account").status == 200) }
            let refused = try await sim.call("GET", "/v1/account")
            #expect(refused.status == 429)
            let retry = Int(refused.headers.first(name: "retry-after") ?? "") ?? 0
            #expect((1...60).contains(retry))
        }
    }

    @Test("Data expiry: input, output, logs and output files are gone a set time after the prediction finished")
    func dataExpiry() async throws {
        try await withSim({ $0.expireAfter = 1 }) { (sim) async throws in
            let created = try await sim.call("POST", "/v1/models/black-forest-labs/flux-schnell/predictions",
                                             json: ["input": ["prompt": "a llama", "num_outputs": 1]], headers: ["Prefer": "wait"])
            #expect(created.status == 201)
            let id = try #require(created["id"]?.string)
            let done = try await sim.waitTerminal("/v1/predictions/\(id)")
            #expect(done["status"] == "succeeded")
            let file = try #require(done["output"]?.array?.first?.string, "an image URL")
            #expect(done["data_removed"] == false)
            #expect(try await sim.call("GET", file, token: nil).status == 200)
            #expect(done["input"]?["prompt"] == "a llama")

            // Within a few seconds of the one-second expiry, the data is gone everywhere.
            var after = done
            for _ in 0..<100 where after["data_removed"] != true {
                try await Task.sleep(nanoseconds: 50_000_000)
                after = try await sim.call("GET", "/v1/predictions/\(id)")
            }
            #expect(after.status == 200)
            #expect(after["data_removed"] == true)
            #expect(after["output"] == .null)
            #expect(after["input"] == .object([:]))
            #expect(after["status"] == "succeeded", "the prediction itself stays")
            #expect(try await sim.call("GET", file, token: nil).status == 404)
            let listed = try await sim.call("GET", "/v1/predictions")
            let entry = listed["results"]?.array?.first { $0["id"]?.string == id }
            #expect(entry?["data_removed"] == true)
        }
    }

    @Test("Without an expiry nothing is removed")
    func noExpiryByDefault() async throws {
        try await withSim { (sim) async throws in
            let created = try await sim.call("POST", "/v1/models/sim/echo/predictions", json: ["input": ["text": "kept"]], headers: ["Prefer": "wait"])
            let id = try #require(created["id"]?.string)
            try await Task.sleep(nanoseconds: 300_000_000)
            let again = try await sim.call("GET", "/v1/predictions/\(id)")
            #expect(again["data_removed"] == false)
            #expect(again["input"]?["text"] == "kept")
        }
    }
}
