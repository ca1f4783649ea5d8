import AgentMode
import Foundation
import MCP
import Replicate

/// The stateless revision of MCP (2026-07-28) beside the `initialize` handshake (2025-06-18,
/// 2025-11-25), which the SDK speaks: a modern client sends no `initialize`, asks
/// `server/discover` (answered here), and names its version in each request's `_meta`. The SDK
/// answers such requests as it answers any (it does not insist on a handshake); their results
/// get the modern members here on the way out (`resultType`, the server's identity, cache hints).
final class ProtocolEras: @unchecked Sendable {
    /// The stateless revision this server speaks.
    static let modern = "2026-07-28"
    /// Every version, newest first: the stateless one, then the SDK's handshake versions.
    static let supported = [modern] + Version.supported.sorted(by: >)
    static let versionKey = "io.modelcontextprotocol/protocolVersion"
    static let serverInfoKey = "io.modelcontextprotocol/serverInfo"
    /// The spec's UnsupportedProtocolVersion error.
    static let unsupportedVersionCode = -32022
    /// Lists and resources do not change while the server runs; a client may keep them an hour.
    static let cacheMilliseconds = 3_600_000

    private let lock = NSLock()
    /// Requests of modern clients being answered: their id (as JSON text) and method.
    private var modernRequests: [String: String] = [:]

    /// What to do with a line from the client.
    enum Verdict {
        case forward
        case answer(Data)
        /// Forward this message in its place.
        case replace(Data)
    }

    func inbound(_ line: ArraySlice<UInt8>) -> Verdict {
        // Most lines are neither: only look inside those that could be.
        guard line.firstRange(of: Array("server/discover".utf8)) != nil || line.firstRange(of: Array(Self.versionKey.utf8)) != nil,
              let message = try? JSONValue(parsing: Data(line)), let method = message["method"]?.stringValue,
              let id = message["id"], id != .null else { return .forward }
        let idText = ExecEnvelope.jsonText(of: id)
        let requested = message["params"]?["_meta"]?[Self.versionKey]?.stringValue
        if let requested, !Self.supported.contains(requested) {
            return .answer(Self.error(id: idText, code: Self.unsupportedVersionCode,
                                      message: "Unsupported protocol version \(requested.prefix(40)); this server speaks \(Self.supported.joined(separator: ", "))",
                                      data: .object(["supported": .array(Self.supported.map(JSONValue.string)), "requested": .string(requested)])))
        }
        if method == "server/discover" {
            return .answer(Self.discover(id: idText))
        }
        guard requested == Self.modern else { return .forward }
        lock.withLock { modernRequests[idText] = method }
        return Self.retryMoved(message).map { .replace($0) } ?? .forward
    }

    /// A retry of a call that asked for input carries `requestState` and `inputResponses` in its
    /// params, where the SDK's tool parameters have no place: they move into its `_meta`
    /// (`StatelessApprovals`' keys), which reaches the handler. Nil when there is nothing to move.
    static func retryMoved(_ message: JSONValue) -> Data? {
        guard message["method"]?.stringValue == "tools/call", case .object(var members) = message,
              case .object(var params)? = members["params"],
              params["requestState"] != nil || params["inputResponses"] != nil else { return nil }
        var meta = params["_meta"]?.objectValue ?? [:]
        // Whatever the client put under these keys itself is replaced: only the retry's own
        // members count (the state is verified by its signature either way).
        meta[StatelessApprovals.stateKey] = params.removeValue(forKey: "requestState")
        meta[StatelessApprovals.responsesKey] = params.removeValue(forKey: "inputResponses")
        params["_meta"] = .object(meta)
        members["params"] = .object(params)
        return (try? JSONValue.object(members).encodedString()).map { Data($0.utf8) }
    }

    /// The SDK's message, with the modern members added when it answers a modern request.
    func outbound(_ data: Data) -> Data {
        guard lock.withLock({ !modernRequests.isEmpty }), let message = try? JSONValue(parsing: data),
              case .object(var members) = message, let id = members["id"] else { return data }
        guard let method = lock.withLock({ modernRequests.removeValue(forKey: ExecEnvelope.jsonText(of: id)) }),
              case .object(var result)? = members["result"] else { return data }
        var meta = result["_meta"]?.objectValue ?? [:]
        if case .object(let asked)? = meta.removeValue(forKey: StatelessApprovals.inputRequiredKey) {
            // A call that waits for an approval: its input-required result in place of the
            // tool result that carried it.
            result = asked
            result["resultType"] = .string("input_required")
            meta = [:]
        } else {
            result["resultType"] = .string("complete")
        }
        meta[Self.serverInfoKey] = Self.serverInfo
        result["_meta"] = .object(meta)
        if ["tools/list", "resources/list", "resources/read", "resources/templates/list", "prompts/list"].contains(method) {
            result["ttlMs"] = .int(Int64(Self.cacheMilliseconds))
            result["cacheScope"] = .string("private")
        }
        members["result"] = .object(result)
        guard let text = try? JSONValue.object(members).encodedString() else { return data }
        return Data(text.utf8)
    }

    static let serverInfo: JSONValue = .object(["name": .string(KosmoServer.name), "version": .string(KosmoServer.version)])

    /// The answer to `server/discover`: versions, capabilities, identity, instructions.
    static func discover(id: String) -> Data {
        let capabilities = (try? JSONEncoder().encode(KosmoServer.capabilities)).flatMap { try? JSONValue(parsing: $0) } ?? .object([:])
        let result: JSONValue = .object([
            "resultType": .string("complete"),
            "supportedVersions": .array(supported.map(JSONValue.string)),
            "capabilities": capabilities,
            "_meta": .object([serverInfoKey: serverInfo]),
            "instructions": .string(KosmoServer.instructions),
            "ttlMs": .int(Int64(cacheMilliseconds)),
            "cacheScope": .string("private"),
        ])
        return Data("{\"jsonrpc\":\"2.0\",\"id\":\(id),\"result\":\(ExecEnvelope.jsonText(of: result))}".utf8)
    }

    static func error(id: String, code: Int, message: String, data: JSONValue) -> Data {
        let error = ExecEnvelope.jsonText(of: .object(["code": .int(Int64(code)), "message": .string(message), "data": data]))
        return Data("{\"jsonrpc\":\"2.0\",\"id\":\(id),\"error\":\(error)}".utf8)
    }
}
