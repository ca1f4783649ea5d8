import AgentMode
import Foundation
import MCP
import Replicate

/// Every line from the client passes here before the MCP SDK sees it. A line the SDK could not
/// decode would be answered by the SDK with a made-up id (a parse error "for" a random UUID), or
/// with −32603 (Internal error) when only its params are wrong; some got no answer the client
/// could match at all (`"id": 1e400`). Here such a line is answered as JSON-RPC 2.0 says:
///
/// - not JSON: −32700 Parse error, `"id": null`;
/// - JSON but not a request, notification or response, or an id that is not a string or an
///   integer (MCP does not allow null ids; the SDK's ids are 64-bit integers): −32600 Invalid
///   Request, `"id": null`;
/// - a request whose params are not an object, hold a number beyond a `Double`, or do not
///   have the method's shape: −32602 Invalid params, echoing the id as the client wrote it.
///
/// What passes is what the SDK decodes without error, so it never has to answer by itself.
enum MessageGate {
    /// What to do with a line.
    enum Verdict: Equatable {
        /// Hand the line to the SDK.
        case forward
        /// Do not: write this answer (one JSON-RPC response, without its newline) instead.
        case answer(Data)
    }

    /// JSON-RPC 2.0 error codes the gate answers with.
    enum Code: Int {
        case parseError = -32700
        case invalidRequest = -32600
        case invalidParams = -32602
    }

    /// The verdict on one line (without its newline).
    static func check(_ line: ArraySlice<UInt8>) -> Verdict {
        let top: JSONShape.Top
        let hugeNumber: String?
        do {
            (top, hugeNumber) = try JSONShape.scan(line)
        } catch {
            return .answer(response(id: nil, .parseError, "Parse error: the message is not JSON (\(error.description))"))
        }
        switch top {
        case .object(let members):
            guard let refusal = check(object: line, members: members, hugeNumber: hugeNumber) else { return .forward }
            return .answer(refusal)
        case .array(let elements):
            // A batch: forwarded whole when every message in it would be; the SDK refuses a
            // whole batch when one of its messages does not decode, so one answer refuses it here.
            guard !elements.isEmpty else {
                return .answer(response(id: nil, .invalidRequest, "Invalid Request: an empty batch"))
            }
            for (index, element) in elements.enumerated() {
                guard case (.object(let members), let hugeNumber)? = try? JSONShape.scan(element) else {
                    return .answer(response(id: nil, .invalidRequest, "Invalid Request: message \(index + 1) of the batch is not a JSON object"))
                }
                if let refusal = check(object: element, members: members, hugeNumber: hugeNumber) {
                    let detail = (try? JSONValue(parsing: refusal))?["error"]?["message"]?.stringValue ?? "it is not valid"
                    return .answer(response(id: nil, .invalidRequest, "Invalid Request: message \(index + 1) of the batch was refused, so the batch was: \(detail)"))
                }
            }
            return .forward
        case .scalar:
            return .answer(response(id: nil, .invalidRequest, "Invalid Request: a JSON-RPC message is a JSON object"))
        }
    }

    /// nil when the object may go to the SDK; else the answer to send.
    static func check(object line: ArraySlice<UInt8>, members: [String: ArraySlice<UInt8>], hugeNumber: String?) -> Data? {
        let id = members["id"].flatMap(echoableID)
        guard let version = members["jsonrpc"], value(version) == .string("2.0") else {
            return response(id: id, .invalidRequest, "Invalid Request: \"jsonrpc\" must be \"2.0\"")
        }
        if let rawID = members["id"], id == nil {
            let written = String(decoding: rawID.prefix(40), as: UTF8.self) + (rawID.count > 40 ? "…" : "")
            return response(id: nil, .invalidRequest,
                            "Invalid Request: the id must be a string or an integer from -2^63 to 2^63-1 (MCP allows no null id), got \(written)")
        }
        let data = Data(line)
        let decoder = JSONDecoder()
        if let method = members["method"] {
            guard let name = value(method)?.stringValue else {
                return response(id: id, .invalidRequest, "Invalid Request: \"method\" must be a string")
            }
            guard let id else {
                // A notification: never answered, but the SDK must be able to read it.
                guard hugeNumber == nil, (try? decoder.decode(Message<LooseNotification>.self, from: data)) != nil else {
                    return response(id: nil, .invalidRequest, "Invalid Request: the notification \(name) cannot be read (its params must be a JSON object)")
                }
                return nil
            }
            // JSON-RPC's params are structured; MCP's are an object (null is let pass, as the SDK reads it as absent).
            if let params = members["params"], params.first != UInt8(ascii: "{"), value(params) != .null {
                return response(id: id, .invalidParams, "Invalid params for \(name): 'params' must be an object")
            }
            if let hugeNumber {
                return response(id: id, .invalidParams, "Invalid params for \(name): the number \(hugeNumber) is beyond the range of a 64-bit float (about ±1.8e308)")
            }
            do {
                _ = try decoder.decode(Request<LooseMethod>.self, from: data)
                try typedCheck[name]?(decoder, data, members["params"].map { Data($0) })
            } catch {
                return response(id: id, .invalidParams, "Invalid params for \(name): \(describe(error))")
            }
            return nil
        }
        if members["result"] != nil || members["error"] != nil {
            guard hugeNumber == nil, (try? decoder.decode(Response<LooseMethod>.self, from: data)) != nil else {
                return response(id: nil, .invalidRequest, "Invalid Request: the response cannot be read (it needs an id and a result or an error object)")
            }
            return nil
        }
        return response(id: id, .invalidRequest, "Invalid Request: a message needs a \"method\" (a request or a notification) or a \"result\" or \"error\" (a response)")
    }

    /// The methods the server answers, decoded as the SDK will decode them for their handlers.
    static let typedCheck: [String: @Sendable (JSONDecoder, Data, Data?) throws -> Void] = [
        Initialize.name: { try decode(Initialize.self, $0, $1, params: $2) },
        Ping.name: { try decode(Ping.self, $0, $1, params: $2) },
        ListTools.name: { try decode(ListTools.self, $0, $1, params: $2) },
        CallTool.name: { try decode(CallTool.self, $0, $1, params: $2) },
        ListResources.name: { try decode(ListResources.self, $0, $1, params: $2) },
        ReadResource.name: { try decode(ReadResource.self, $0, $1, params: $2) },
    ]

    /// Decodes `message` as a request of method `M`. The params are decoded on their own first:
    /// the SDK's request decoder drops the params' own error for "Invalid params field", and
    /// the client should learn which member was wrong.
    static func decode<M: MCP.Method>(_ method: M.Type, _ decoder: JSONDecoder, _ message: Data, params: Data?) throws {
        if let params {
            do { _ = try decoder.decode(M.Parameters.self, from: params) } catch { throw InParams(error: error) }
        }
        _ = try decoder.decode(Request<M>.self, from: message)
    }

    /// A decoding error in the params decoded on their own (its path starts within them).
    struct InParams: Error {
        let error: any Error
    }

    /// The id as the client wrote it, when it is one the SDK keeps as written: a string or an
    /// integer literal within 64 bits.
    static func echoableID(_ raw: ArraySlice<UInt8>) -> String? {
        switch value(raw) {
        case .string?: return String(decoding: raw, as: UTF8.self)
        case .int?: return String(decoding: raw, as: UTF8.self)
        default: return nil
        }
    }

    static func value(_ raw: ArraySlice<UInt8>) -> JSONValue? {
        try? JSONValue(parsing: Data(raw))
    }

    /// A decoding failure in words: where in the message and what was wrong.
    static func describe(_ error: any Error) -> String {
        let inParams = error is InParams
        guard let error = ((error as? InParams)?.error ?? error) as? DecodingError else { return "\(error)" }
        func path(_ context: DecodingError.Context) -> String {
            let keys = (inParams ? ["params"] : []) + context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return keys.isEmpty ? "the message" : "'" + keys.joined(separator: ".").replacingOccurrences(of: ".[", with: "[") + "'"
        }
        switch error {
        case .typeMismatch(let type, let context): return "\(path(context)) must be \(typeName(type)): \(context.debugDescription)"
        case .valueNotFound(let type, let context): return "\(path(context)) must be \(typeName(type)), not null"
        case .keyNotFound(let key, let context): return "\(path(context)) needs '\(key.stringValue)'"
        case .dataCorrupted(let context): return "\(path(context)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "a boolean"
        case is Int.Type, is Int64.Type: return "an integer"
        case is Double.Type: return "a number"
        default:
            let name = "\(type)"
            return name.hasPrefix("Dictionary") ? "an object" : name.hasPrefix("Array") ? "an array" : "a valid \(name)"
        }
    }

    /// The answer to a line longer than `limit` bytes, which was dropped unread.
    static func oversize(bytes: Int, limit: Int) -> Data {
        response(id: nil, .invalidRequest,
                 "Invalid Request: the message was \(bytes) bytes, more than the \(limit >> 20) MiB (\(limit) bytes) one message may have, so it was dropped unread; send less in one message")
    }

    /// One JSON-RPC error response; `id` is JSON text (nil: `null`).
    static func response(id: String?, _ code: Code, _ message: String) -> Data {
        let text = ExecEnvelope.jsonText(of: .string(message))
        return Data("{\"jsonrpc\":\"2.0\",\"id\":\(id ?? "null"),\"error\":{\"code\":\(code.rawValue),\"message\":\(text)}}".utf8)
    }
}

/// A request whose params are any JSON value: how the SDK reads every request first.
enum LooseMethod: MCP.Method {
    static var name: String { "" }
    typealias Parameters = Value
    typealias Result = Value
}

/// A notification whose params are any JSON value: how the SDK reads every notification first.
struct LooseNotification: MCP.Notification {
    static var name: String { "" }
    typealias Parameters = Value
}
