import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOConcurrencyHelpers

/// Signs payloads the way the service does (Standard Webhooks): HMAC-SHA256 over
/// "{id}.{timestamp}.{body}" keyed with the base64-decoded part of the secret after `whsec_`.
public enum WebhookSignature {
    /// The `webhook-signature` header value (`v1,<base64>`); nil if the secret is not valid base64.
    public static func sign(id: String, timestamp: Int, body: Data, secret: String) -> String? {
        let encoded = secret.hasPrefix("whsec_") ? String(secret.dropFirst(6)) : secret
        guard let key = Data(base64Encoded: encoded) else { return nil }
        var content = Data("\(id).\(timestamp).".utf8)
        content.append(body)
        let mac = HMAC<SHA256>.authenticationCode(for: content, using: SymmetricKey(data: key))
        return "v1," + Data(mac).base64EncodedString()
    }
}

/// Sends webhooks for the events a prediction asked for, one queue per prediction so that
/// a receiver sees `start`, `output`/`logs` and `completed` in order.
final class WebhookSender: Sendable {
    let secret: String
    private let queues = NIOLockedValueBox<[String: AsyncStream<(String, Data)>.Continuation]>([:])
    /// Throttle intermediate events like the service (it sends at most one every 500 ms).
    private let lastSent = NIOLockedValueBox<[String: Date]>([:])
    let throttle: Double

    init(secret: String, speed: Double) {
        self.secret = secret
        self.throttle = 0.5 / max(speed, 0.0001)
    }

    func send(_ record: PredictionRecord, event: String, api: String) {
        guard let url = record.webhook, record.webhookEvents.contains(event) else { return }
        if event == "output" || event == "logs" {
            let now = Date()
            let skip = lastSent.withLockedValue { t -> Bool in
                if let last = t[record.id], now.timeIntervalSince(last) < throttle { return true }
                t[record.id] = now
                return false
            }
            if skip { return }
        }
        let body = record.json(api: api).encoded()
        let continuation = queues.withLockedValue { q -> AsyncStream<(String, Data)>.Continuation in
            if let c = q[record.id] { return c }
            let (stream, c) = AsyncStream<(String, Data)>.makeStream()
            q[record.id] = c
            Task { for await (u, b) in stream { await self.post(u, body: b) } }
            return c
        }
        continuation.yield((url, body))
        if event == "completed" {
            continuation.finish()
            queues.withLockedValue { _ = $0.removeValue(forKey: record.id) }
            lastSent.withLockedValue { _ = $0.removeValue(forKey: record.id) }
        }
    }

    private func post(_ url: String, body: Data) async {
        let id = "msg_" + IDs.hex(24)
        let ts = Int(Date().timeIntervalSince1970)
        var req = HTTPClientRequest(url: url)
        req.method = .POST
        req.headers.add(name: "content-type", value: "application/json")
        req.headers.add(name: "user-agent", value: "replicate-webhook-sim/1.0")
        req.headers.add(name: "webhook-id", value: id)
        req.headers.add(name: "webhook-timestamp", value: String(ts))
        if let sig = WebhookSignature.sign(id: id, timestamp: ts, body: body, secret: secret) {
            req.headers.add(name: "webhook-signature", value: sig)
        }
        req.body = .bytes(ByteBuffer(data: body))
        // Delivery failures are the receiver's problem, as with the service (which retries; we don't).
        if let response = try? await HTTPClient.shared.execute(req, timeout: .seconds(10)) {
            _ = try? await response.body.collect(upTo: 1 << 20)
        }
    }
}
