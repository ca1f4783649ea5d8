import Crypto
import Foundation
import Replicate

/// The `requestState` of the stateless revision's input-required results: which paused
/// execution a retry resumes, and at which question. It passes through the client, so it is
/// treated as the attacker's (the revision's rule): signed with HMAC-SHA256 under a key this
/// server process made and never shows, bound to the code it was issued for, and short-lived.
struct RequestState: Equatable {
    /// The paused execution.
    var execution: String
    /// Which of the execution's questions this state answers (each is answered once).
    var question: Int
    /// SHA-256 of the call's code, hex: a state is only good for a retry of the same call.
    var codeDigest: String
    /// Seconds since 1970 after which the state is refused.
    var expires: Double

    /// How long a state, and the paused execution it names, waits for the retry.
    static let lifetime: Double = 600

    /// Why a state was refused, in words for the client.
    struct Refusal: Error {
        let message: String
    }

    /// The token: base64url of the JSON payload, a dot, base64url of its HMAC.
    func token(key: SymmetricKey) -> String {
        let payload: JSONValue = .object(["e": .string(execution), "q": .int(Int64(question)), "d": .string(codeDigest),
                                          "x": .double(expires)])
        let body = Data(((try? payload.encodedString()) ?? "{}").utf8)
        let mac = Data(HMAC<SHA256>.authenticationCode(for: body, using: key))
        return Self.base64URL(body) + "." + Self.base64URL(mac)
    }

    /// The state a token carries, once its signature, expiry and code check out.
    init(token: String, key: SymmetricKey, code: [UInt8], now: Date = Date()) throws(Refusal) {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard token.utf8.count <= 4096, parts.count == 2, let body = Self.data(base64URL: parts[0]),
              let mac = Self.data(base64URL: parts[1]),
              HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: body, using: key) else {
            throw Refusal(message: "requestState is not one this server issued (or it was changed); call execute_lua again without it")
        }
        guard let payload = try? JSONValue(parsing: body), let execution = payload["e"]?.stringValue,
              let question = payload["q"]?.intValue, let digest = payload["d"]?.stringValue,
              let expires = payload["x"]?.doubleValue else {
            throw Refusal(message: "requestState cannot be read; call execute_lua again without it")
        }
        guard expires >= now.timeIntervalSince1970 else {
            throw Refusal(message: "requestState expired (an approval waits \(Int(Self.lifetime)) s for its answer); call execute_lua again without it")
        }
        guard digest == Self.digest(code) else {
            throw Refusal(message: "requestState belongs to another call: a retry must send the same code as the call that asked")
        }
        self.init(execution: execution, question: Int(clamping: question), codeDigest: digest, expires: expires)
    }

    init(execution: String, question: Int, codeDigest: String, expires: Double) {
        self.execution = execution
        self.question = question
        self.codeDigest = codeDigest
        self.expires = expires
    }

    static func digest(_ code: [UInt8]) -> String {
        SHA256.hash(data: code).map { String(format: "%02x", $0) }.joined()
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func data(base64URL text: Substring) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }
}
