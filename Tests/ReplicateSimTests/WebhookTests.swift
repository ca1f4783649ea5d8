import Crypto
import Foundation
import Hummingbird
import NIOConcurrencyHelpers
import Testing
@testable import ReplicateSim

/// A loopback receiver that records webhook deliveries.
final class WebhookReceiver: Sendable {
    struct Delivery: Sendable {
        var id: String
        var timestamp: String
        var signature: String
        var body: Data
    }
    let deliveries = NIOLockedValueBox<[Delivery]>([])
    let port = NIOLockedValueBox<Int>(0)
    private let task = NIOLockedValueBox<Task<Void, any Error>?>(nil)

    func start() async throws {
        let router = Router()
        router.post("/hook") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            let h = request.headers
            self.deliveries.withLockedValue {
                $0.append(Delivery(
                    id: h[FieldName("webhook-id")!] ?? "", timestamp: h[FieldName("webhook-timestamp")!] ?? "",
                    signature: h[FieldName("webhook-signature")!] ?? "", body: Data(body.readableBytesView)))
            }
            return Response(status: .ok)
        }
        let (ready, c) = AsyncStream<Int>.makeStream()
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), onServerRunning: { ch in
            c.yield(ch.localAddress?.port ?? 0)
            c.finish()
        })
        task.withLockedValue { $0 = Task { try await app.run() } }
        for await p in ready { port.withLockedValue { $0 = p }; break }
    }

    func stop() async {
        let t = task.withLockedValue { $0 }
        t?.cancel()
        _ = try? await t?.value
    }

    var url: String { "http://127.0.0.1:\(port.withLockedValue { $0 })/hook" }
}

/// Verification as a receiver would do it (Standard Webhooks), independent of the signer.
func verify(id: String, timestamp: String, body: Data, signatureHeader: String, secret: String) -> Bool {
    guard let key = Data(base64Encoded: String(secret.dropFirst("whsec_".count))) else { return false }
    let content = Data("\(id).\(timestamp).".utf8) + body
    let expected = Data(HMAC<SHA256>.authenticationCode(for: content, using: SymmetricKey(data: key))).base64EncodedString()
    return signatureHeader.split(separator: " ").contains { $0 == "v1,\(expected)" }
}

@Suite("webhooks")
struct WebhookTests {
    @Test func publicTestVector() {
        let sig = WebhookSignature.sign(
            id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: Data(#"{"test": 2432232314}"#.utf8),
            secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        #expect(sig == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        #expect(verify(
            id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: "1614265330", body: Data(#"{"test": 2432232314}"#.utf8),
            signatureHeader: sig ?? "", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
    }

    @Test func deliversSignedFilteredEvents() async throws {
        let receiver = WebhookReceiver()
        try await receiver.start()
        defer { Task { await receiver.stop() } }
        try await withSim { (sim) async throws in
            let secret = try await sim.call("GET", "/v1/webhooks/default/secret")["key"]?.string
            #expect(secret == sim.webhookSecret)
            #expect(secret?.hasPrefix("whsec_") == true)
            let r = try await sim.call(
                "POST", "/v1/predictions",
                json: ["version": .string(ToyModels.helloWorldVersion), "input": ["text": "hook"], "webhook": .string(receiver.url),
                       "webhook_events_filter": ["start", "completed"]])
            #expect(r["webhook"]?.string == receiver.url)
            let end = Date().addingTimeInterval(10)
            while Date() < end, receiver.deliveries.withLockedValue({ $0.count }) < 2 {
                try await Task.sleep(nanoseconds: 20_000_000)
            }
            try await Task.sleep(nanoseconds: 200_000_000)
            let got = receiver.deliveries.withLockedValue { $0 }
            #expect(got.count == 2)
            let statuses = got.compactMap { JSON.parse($0.body)?["status"]?.string }
            #expect(statuses == ["processing", "succeeded"])
            #expect(JSON.parse(got.last?.body ?? Data())?["output"] == "hello hook")
            for d in got {
                #expect(d.id.hasPrefix("msg_"))
                #expect(verify(id: d.id, timestamp: d.timestamp, body: d.body, signatureHeader: d.signature, secret: secret ?? ""))
            }
        }
    }

    @Test func outputAndLogsEventsAreFilteredAndThrottled() async throws {
        let receiver = WebhookReceiver()
        try await receiver.start()
        defer { Task { await receiver.stop() } }
        try await withSim({ $0.speed = 1 }) { (sim) async throws in
            let r = try await sim.call(
                "POST", "/v1/models/sim/slow/predictions",
                json: ["input": ["seconds": 1.5], "webhook": .string(receiver.url), "webhook_events_filter": ["logs", "completed"]])
            #expect(r.status == 201)
            _ = try await sim.waitTerminal(try #require(r["urls"]?["get"]?.string))
            let end = Date().addingTimeInterval(5)
            while Date() < end, !receiver.deliveries.withLockedValue({ $0.contains { JSON.parse($0.body)?["status"] == "succeeded" } }) {
                try await Task.sleep(nanoseconds: 20_000_000)
            }
            let bodies = receiver.deliveries.withLockedValue { $0 }.compactMap { JSON.parse($0.body) }
            // No `start` (filtered out); at least one `logs` delivery while processing; `completed` last.
            #expect(bodies.first?["status"] == "processing")
            #expect(bodies.first?["logs"]?.string?.contains("slept") == true)
            #expect(bodies.last?["status"] == "succeeded")
            #expect(bodies.filter { $0["status"] == "succeeded" }.count == 1)
        }
        let bad = try await withSim { (sim) async throws in
            try await sim.call("POST", "/v1/models/sim/echo/predictions", json: ["input": [:], "webhook_events_filter": ["sometimes"]])
        }
        #expect(bad.status == 422)
    }
}
