import Crypto
import Foundation

/// Verification of webhook requests Replicate signs (the Standard Webhooks scheme).
public enum Webhooks {
    /// Checks a webhook's signature.
    ///
    /// Signed content is `"{webhook-id}.{webhook-timestamp}.{body}"`, HMAC-SHA256 keyed with the
    /// base64 part of the secret after `whsec_`. `webhook-signature` may list several
    /// space-separated `v1,<base64>` entries (during secret rotation); any match passes. Each
    /// comparison is constant-time.
    ///
    /// - Parameters:
    ///   - headers: request headers; names are matched case-insensitively.
    ///   - body: the raw request body, exactly as received.
    ///   - secret: `whsec_…` from `client.webhooks.defaultSecret()`.
    ///   - tolerance: largest allowed distance between `webhook-timestamp` and `now`, in seconds.
    /// - Returns: true when a signature matches; false when none does.
    /// - Throws: `.validation` when a header is missing or malformed, the secret is not base64,
    ///   or the timestamp is outside the tolerance (a replay).
    public static func verify(
        headers: [String: String], body: Data, secret: String, tolerance: TimeInterval = 300, now: Date = Date()
    ) throws -> Bool {
        func header(_ name: String) throws -> String {
            guard let v = headers.first(where: { $0.key.lowercased() == name })?.value.trimmingCharacters(in: .whitespaces), !v.isEmpty else {
                throw ReplicateError.validation("webhook is missing the \(name) header", operation: "verify_webhook")
            }
            return v
        }
        let id = try header("webhook-id")
        let timestampText = try header("webhook-timestamp")
        let signatures = try header("webhook-signature")
        guard tolerance.isFinite, tolerance >= 0 else {
            throw ReplicateError.validation("the tolerance must be a number of seconds of at least 0, got \(tolerance)", operation: "verify_webhook")
        }
        guard let timestamp = Int64(timestampText) else {
            throw ReplicateError.validation("webhook-timestamp '\(timestampText)' is not a Unix time in seconds", operation: "verify_webhook")
        }
        let age = now.timeIntervalSince1970 - Double(timestamp)
        guard abs(age) <= tolerance else {
            // Shown as whole seconds without an integer conversion: the header may hold any Int64.
            func seconds(_ value: Double) -> String { String(format: "%.0f", value) }
            throw ReplicateError.validation(
                "webhook-timestamp is \(seconds(abs(age))) s \(age > 0 ? "old" : "in the future"), beyond the \(seconds(tolerance)) s tolerance",
                operation: "verify_webhook")
        }
        let key = try secretKey(secret)
        var signed = Data("\(id).\(timestampText).".utf8)
        signed.append(body)
        for entry in signatures.split(separator: " ") {
            let parts = entry.split(separator: ",", maxSplits: 1)
            guard parts.count == 2, parts[0] == "v1", let mac = Data(base64Encoded: String(parts[1])) else { continue }
            if HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: signed, using: key) { return true }
        }
        return false
    }

    /// `verify` for a body given as a string (its UTF-8 bytes).
    public static func verify(
        headers: [String: String], body: String, secret: String, tolerance: TimeInterval = 300, now: Date = Date()
    ) throws -> Bool {
        try verify(headers: headers, body: Data(body.utf8), secret: secret, tolerance: tolerance, now: now)
    }

    /// Signs `body` as Replicate would: the `webhook-signature` value `v1,<base64>`.
    /// Useful for simulators and tests.
    public static func sign(id: String, timestamp: Int64, body: Data, secret: String) throws -> String {
        var signed = Data("\(id).\(timestamp).".utf8)
        signed.append(body)
        let mac = HMAC<SHA256>.authenticationCode(for: signed, using: try secretKey(secret))
        return "v1," + Data(mac).base64EncodedString()
    }

    static func secretKey(_ secret: String) throws -> SymmetricKey {
        let encoded = secret.hasPrefix("whsec_") ? String(secret.dropFirst(6)) : secret
        guard let bytes = Data(base64Encoded: encoded), !bytes.isEmpty else {
            // The secret itself is never echoed.
            throw ReplicateError.validation("webhook secret is not 'whsec_' followed by base64", operation: "verify_webhook")
        }
        return SymmetricKey(data: bytes)
    }
}

extension ReplicateClient {
    /// Webhook helpers.
    public var webhooks: WebhooksResource { WebhooksResource(client: self) }
}

/// The webhooks resource.
public struct WebhooksResource: Sendable {
    let client: ReplicateClient

    /// `GET /webhooks/default/secret`: the `whsec_…` signing secret.
    public func defaultSecret() async throws -> String {
        let body = try await client.call("get_default_webhook_secret")
        guard let key = body["key"]?.stringValue else {
            throw ReplicateError.validation("get_default_webhook_secret returned no 'key'", operation: "get_default_webhook_secret")
        }
        return key
    }
}
