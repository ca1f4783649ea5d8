import AsyncHTTPClient
import Foundation

/// A client for Replicate's HTTP API.
///
/// Every operation goes through `perform(_:arguments:)`, driven by the `Catalog`; the typed
/// resources (`predictions`, `models`, `files`, …) are thin layers over it.
///
/// ```swift
/// let client = ReplicateClient(configuration: .fromEnvironment())
/// let output = try await client.run("black-forest-labs/flux-schnell", input: ["prompt": "a llama"])
/// let model = try await client.models.get("stability-ai/sdxl")
/// let raw = try await client.perform("get_model", arguments: ["model_owner": "stability-ai", "model_name": "sdxl"])
/// for try await event in try client.stream(prediction) where event.event == "output" { print(event.data, terminator: "") }
/// ```
public final class ReplicateClient: Sendable {
    public let configuration: ReplicateConfiguration
    let transport: Transport

    /// - Parameters:
    ///   - configuration: token, base URL, timeouts, retries.
    ///   - httpClient: an AsyncHTTPClient to use for API calls (its owner shuts it down). By
    ///     default the client uses a connection pool shared by every client in the process with
    ///     the same connect and read timeouts. Downloads always use a shared pool that hands
    ///     redirects back, so each hop's host is checked before anything is sent to it.
    public init(configuration: ReplicateConfiguration = .fromEnvironment(), httpClient: HTTPClient? = nil) {
        self.configuration = configuration
        self.transport = Transport(configuration: configuration, httpClient: httpClient)
    }

    /// Closes what this client owns: the libcurl handle of calls sent in place
    /// (`performInPlace`) and the connections it keeps open. Afterwards `performInPlace`
    /// returns nil (it cannot send that way), so a caller sends with `perform` as it does when
    /// libcurl is missing; a call in place still running on another thread finishes first, and
    /// its handle is closed when it ends. Calling it again does nothing more.
    ///
    /// It does not shut down AsyncHTTPClient: the connection pools that `perform`, streams and
    /// downloads use are shared by every client in the process and never shut down (a client
    /// that is simply dropped cannot trip AsyncHTTPClient's "not shut down" check), and an
    /// `HTTPClient` given to `init` belongs to whoever made it, who shuts it down.
    public func shutdown() async throws {
        transport.inPlace.close()
    }

    /// Where a task that waits on this client's answers should run: one event loop of its
    /// connection pool, so a request made from the task is sent and answered on that loop
    /// without crossing threads (see `EventLoopExecutor`). The client picks it; its callers
    /// pass it on (`Task(executorPreference:)`).
    public var executor: any TaskExecutor { transport.executor }

    // MARK: Generic, catalog-driven calls

    /// Calls the operation named `name` (a catalog name, alias or operationId).
    public func perform(_ name: String, arguments: [String: JSONValue] = [:]) async throws -> APIResponse {
        try await perform(Catalog.require(name), arguments: arguments)
    }

    /// Calls one API operation.
    ///
    /// `arguments` holds the operation's own parameter and body field names (`model_owner`,
    /// `input`, …). Prediction-creating operations also take `wait` (`true`, or 1...60 seconds →
    /// `Prefer: wait[=n]`) and `cancel_after` (seconds ≥ 5, or `"30s"`, `"5m"`, `"1h30m"` →
    /// `Cancel-After`). `search_models` takes `query`, sent as the text body. `create_file`
    /// takes `content` (a string, or `{data = <base64>}`), `filename`, `type`, `metadata`.
    /// A `null` argument counts as absent.
    ///
    /// - Returns: the status and decoded body (`.null` for 204 or an empty body).
    /// - Throws: `ReplicateError` — `.validation` before sending for bad arguments, `.http` for
    ///   non-2xx statuses with the problem document's fields, `.network` / `.timeout`.
    public func perform(_ operation: OperationSpec, arguments: [String: JSONValue]) async throws -> APIResponse {
        try await perform(prepare(operation, arguments: arguments))
    }

    /// Checks `arguments` and builds the request `perform` would send, without sending it: a
    /// caller that must validate before doing something else (asking for approval) builds the
    /// request once rather than twice. Throws `.validation` as `perform` does.
    public func prepare(_ operation: OperationSpec, arguments: [String: JSONValue]) throws -> PreparedRequest {
        PreparedRequest(operation: operation,
                        exchange: try RequestBuilder(operation: operation, baseURL: configuration.baseURL).build(arguments))
    }

    /// Sends a request made by `prepare`.
    public func perform(_ request: PreparedRequest) async throws -> APIResponse {
        try await execute(request.exchange, operation: request.operation.name)
    }

    /// Sends a request made by `prepare` from the calling thread, blocking it until the answer
    /// (with retries) is in: for a caller that waits anyway, this saves the hand-offs between
    /// threads that `perform` makes. The client decides whether it can send this way: only an
    /// idempotent request (a POST could be sent twice by libcurl's silent re-send), only with
    /// libcurl installed and its in-place connection free. Otherwise it returns nil and the
    /// caller uses `perform` — the same request, retries and errors.
    /// - Throws: what `perform` throws, or `Stopped` when `stop` ended the call.
    public func performInPlace(_ request: PreparedRequest, stop: StopCheck) throws -> APIResponse? {
        guard let raw = try transport.sendInPlace(request.exchange, stop: stop) else { return nil }
        return try response(raw, operation: request.operation.name)
    }

    /// Checks `arguments` for `operation` exactly as `perform` would (unknown names with the
    /// nearest valid one, missing required ones, types, `wait` and `cancel_after`), without
    /// sending anything.
    public static func validate(_ operation: OperationSpec, arguments: [String: JSONValue]) throws {
        _ = try RequestBuilder(operation: operation, baseURL: ReplicateConfiguration.defaultBaseURL).build(arguments)
    }

    /// Sends a prepared exchange, throwing `.http` for non-success statuses.
    func execute(_ exchange: HTTPExchange, operation: String?, decodeNow: Bool = false) async throws -> APIResponse {
        try response(try await transport.send(exchange), operation: operation, decodeNow: decodeNow)
    }

    /// The answer to an exchange, or `.http` for a non-success status. A JSON body is checked
    /// now and decoded when first read, unless `decodeNow` (a caller about to read it).
    private func response(_ raw: RawResponse, operation: String?, decodeNow: Bool = false) throws -> APIResponse {
        guard (200...299).contains(raw.status) else {
            var error = ReplicateError.http(status: raw.status, body: raw.body, headers: raw.headers, operation: operation)
                .redacting(transport.token)
            // The API's 401 does not say the request carried no token at all.
            if raw.status == 401, transport.token?.isEmpty ?? true {
                error.message += " (no API token was set: export REPLICATE_API_TOKEN=r8_…, or api_token under [replicate] in the config file)"
            }
            throw error
        }
        return try ResponseDecoder.response(raw, operation: operation, decodeNow: decodeNow)
    }

    /// Calls an operation and returns the JSON body.
    func call(_ name: String, _ arguments: [String: JSONValue] = [:]) async throws -> JSONValue {
        let operation = try Catalog.require(name)
        return try await execute(prepare(operation, arguments: arguments).exchange, operation: operation.name, decodeNow: true).body
    }

    /// Calls an operation and decodes the body as `T`.
    func call<T: ReplicateObject>(_ name: String, _ arguments: [String: JSONValue] = [:], as: T.Type) async throws -> T {
        let body = try await call(name, arguments)
        do {
            return try T(json: body)
        } catch let error as ReplicateError {
            var e = error
            e.operation = name
            throw e
        }
    }

    /// GETs (or re-QUERYs) an absolute URL the API handed out, such as a page's `next`.
    func follow(_ url: String, method: String = "GET", body: Data? = nil, contentType: String? = nil, operation: String?) async throws -> JSONValue {
        let target = try PreparedRequest.pageURL(url, api: configuration.baseURL, operation: operation)
        var exchange = HTTPExchange(method: method, url: target, operation: operation)
        exchange.headers = [("Accept", "application/json")]
        if let contentType { exchange.headers.append(("Content-Type", contentType)) }
        exchange.body = body
        return try await execute(exchange, operation: operation, decodeNow: true).body
    }
}

/// A checked request for one operation, ready to send (`ReplicateClient.prepare`).
public struct PreparedRequest: Sendable {
    public let operation: OperationSpec
    let exchange: HTTPExchange
}

/// Turns catalog arguments into an HTTP exchange, checking them against the spec first.
struct RequestBuilder {
    let operation: OperationSpec
    let baseURL: URL

    func fail(_ message: String) -> ReplicateError {
        .validation(message, operation: operation.name)
    }

    func build(_ rawArguments: [String: JSONValue]) throws -> HTTPExchange {
        var arguments = rawArguments.filter { !$0.value.isNull }
        let allowed = Set(operation.argumentNames)
        for key in arguments.keys.sorted() where !allowed.contains(key) {
            guard !operation.argumentNames.isEmpty else { throw fail("unknown argument '\(key)' for \(operation.name); it takes no arguments") }
            var message = "unknown argument '\(key)' for \(operation.name)"
            if let near = Catalog.closest(to: key, among: operation.argumentNames) { message += "; did you mean '\(near)'?" }
            throw fail(message + " (it takes: " + operation.argumentNames.joined(separator: ", ") + ")")
        }
        let allSpecs = operation.parameters + (operation.body?.fields ?? [])
        for spec in allSpecs {
            if let value = arguments[spec.name] {
                try check(value, against: spec)
                arguments[spec.name] = RequestBuilder.normalize(value, as: spec.type)
            } else if spec.required {
                throw fail("missing required argument '\(spec.name)' (\(spec.type)) for \(operation.name)")
            }
        }

        // Path
        var segments: [String: String] = [:]
        for spec in operation.parameters where spec.location == .path {
            guard let value = arguments[spec.name] else { continue }
            let text = try scalarText(value, name: spec.name)
            guard !text.isEmpty else { throw fail("argument '\(spec.name)' must not be empty") }
            segments[spec.name] = RequestBuilder.encodePathSegment(text)
        }
        let path = RequestBuilder.fill(operation.path, with: segments)
        var urlString = baseURL.absoluteString
        while urlString.hasSuffix("/") { urlString.removeLast() }
        urlString += path
        let queryItems = try operation.parameters.filter { $0.location == .query }.compactMap { spec -> String? in
            guard let value = arguments[spec.name] else { return nil }
            return RequestBuilder.encodeQuery(spec.name) + "=" + RequestBuilder.encodeQuery(try scalarText(value, name: spec.name))
        }
        if !queryItems.isEmpty { urlString += "?" + queryItems.joined(separator: "&") }
        guard let url = URL(string: urlString) else { throw fail("could not build a URL from \(urlString)") }

        var exchange = HTTPExchange(method: operation.method, url: url, operation: operation.name)
        exchange.headers.append(("Accept", "application/json"))

        // Headers, including the friendly `wait` and `cancel_after` spellings.
        if operation.creates == .prediction {
            if arguments["wait"] != nil && arguments["Prefer"] != nil { throw fail("give either 'wait' or 'Prefer', not both") }
            if arguments["cancel_after"] != nil && arguments["Cancel-After"] != nil {
                throw fail("give either 'cancel_after' or 'Cancel-After', not both")
            }
            if let wait = arguments["wait"] ?? arguments["Prefer"] {
                if let prefer = try RequestBuilder.preferHeader(wait, argument: arguments["wait"] != nil ? "wait" : "Prefer", operation: operation.name) {
                    exchange.headers.append(("Prefer", prefer.header))
                    // The server holds a sync-mode request open for up to n seconds.
                    exchange.timeout = Double(prefer.seconds) + 15
                }
            }
            if let after = arguments["cancel_after"] ?? arguments["Cancel-After"] {
                exchange.headers.append(("Cancel-After", try RequestBuilder.cancelAfterHeader(after, operation: operation.name)))
            }
        } else {
            for spec in operation.parameters where spec.location == .header {
                if let value = arguments[spec.name] { exchange.headers.append((spec.name, try scalarText(value, name: spec.name))) }
            }
        }

        // Body
        if let body = operation.body {
            switch body.contentType {
            case "application/json":
                var members: [String: JSONValue] = [:]
                for field in body.fields { if let v = arguments[field.name] { members[field.name] = v } }
                do throws(JSONError) { exchange.body = try JSONValue.object(members).encoded() } catch { throw fail("the body cannot be sent as JSON: \(error.message)") }
                exchange.headers.append(("Content-Type", "application/json"))
            case "text/plain":
                let text = try scalarText(arguments["query"] ?? .string(""), name: "query")
                exchange.body = Data(text.utf8)
                exchange.headers.append(("Content-Type", "text/plain"))
            case "multipart/form-data":
                let form = try MultipartForm.fileUpload(arguments: arguments, operation: operation.name)
                exchange.body = form.body
                exchange.headers.append(("Content-Type", form.contentType))
            default:
                throw fail("unsupported body type \(body.contentType)")
            }
        }
        return exchange
    }

    /// Settles what a dynamic caller cannot express: an empty Lua table arrives as `{}` or `[]`
    /// whatever the field wants, and a whole float where an integer is expected.
    static func normalize(_ value: JSONValue, as type: String) -> JSONValue {
        switch (type, value) {
        case ("object", .array(let a)) where a.isEmpty: return .object([:])
        case ("array", .object(let o)) where o.isEmpty: return .array([])
        case ("integer", .double): return value.intValue.map(JSONValue.int) ?? value
        default: return value
        }
    }

    func check(_ value: JSONValue, against spec: ParameterSpec) throws {
        // `wait`/`cancel_after` aliases and multipart content are checked where they are used.
        if spec.location == .header || (operation.body?.contentType == "multipart/form-data" && spec.name == "content") { return }
        let ok: Bool
        switch spec.type {
        case "string":
            ok = value.stringValue != nil || (spec.location != .body && value.intValue != nil)
        case "integer": ok = value.intValue != nil
        case "number": ok = value.doubleValue != nil
        case "boolean": ok = value.boolValue != nil || (spec.location == .query && value.stringValue != nil)
        case "object": ok = value.objectValue != nil || (value.arrayValue?.isEmpty ?? false)
        case "array": ok = value.arrayValue != nil || (value.objectValue?.isEmpty ?? false)
        default: ok = true
        }
        guard ok else {
            throw fail("argument '\(spec.name)' must be \(article(spec.type)) \(spec.type), got \(value.typeName)")
        }
    }

    private func article(_ type: String) -> String {
        ["integer", "object", "array"].contains(type) ? "an" : "a"
    }

    func scalarText(_ value: JSONValue, name: String) throws -> String {
        switch value {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d) where d.isFinite: return d.rounded() == d && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        case .bool(let b): return b ? "true" : "false"
        default: throw fail("argument '\(name)' must be a string or number, got \(value.typeName)")
        }
    }

    /// `true` → `wait` (60 s); 1...60 → `wait=n`; `false` → no header. Also accepts the raw
    /// header value (`"wait"`, `"wait=5"`).
    static func preferHeader(_ value: JSONValue, argument: String, operation: String) throws -> (header: String, seconds: Int)? {
        switch value {
        case .bool(true): return ("wait", 60)
        case .bool(false): return nil
        case .int, .double:
            guard let n = value.intValue, (1...60).contains(n) else {
                throw ReplicateError.validation("'\(argument)' must be true or a whole number of seconds from 1 to 60, got \(value)", operation: operation)
            }
            return ("wait=\(n)", Int(n))
        case .string(let s):
            if s == "wait" { return ("wait", 60) }
            if s.hasPrefix("wait="), let n = Int(s.dropFirst(5)), (1...60).contains(n), !s.dropFirst(5).hasPrefix("0") {
                return (s, n)
            }
            let allowed = argument == "wait" ? "true or a whole number of seconds from 1 to 60 (or the header's \"wait=n\")"
                                              : "\"wait\" or \"wait=n\" with n from 1 to 60"
            throw ReplicateError.validation("'\(argument)' must be \(allowed), got the string \"\(s.prefix(40))\"", operation: operation)
        default:
            throw ReplicateError.validation("'\(argument)' must be a boolean or a number of seconds, got \(value.typeName)", operation: operation)
        }
    }

    /// The longest `Cancel-After` the API takes: 8760 h, a year.
    static let maxCancelAfterSeconds = 8760 * 3600

    /// Seconds (5 to a year) or a duration like `30s`, `5m`, `1h30m45s` (5 s to 8760 h in total).
    static func cancelAfterHeader(_ value: JSONValue, operation: String) throws -> String {
        func bad(_ why: String) -> ReplicateError {
            .validation("'cancel_after' \(why); use seconds (5 to \(maxCancelAfterSeconds)) or a duration such as \"30s\", \"5m\", \"1h30m\" (at most 8760h)", operation: operation)
        }
        func inRange(_ n: Int) throws {
            guard n >= 5 else { throw bad("is \(n) s, below the 5 s minimum") }
            guard n <= maxCancelAfterSeconds else { throw bad("is \(n) s, above the API's maximum of 8760 h") }
        }
        switch value {
        case .int, .double:
            guard let whole = value.intValue, let n = Int(exactly: whole) else { throw bad("must be a whole number of seconds") }
            try inRange(n)
            return "\(n)s"
        case .string(let s):
            let text = s.trimmingCharacters(in: .whitespaces)
            if let n = Int(text) {
                try inRange(n)
                return text
            }
            var total = 0
            var digits = ""
            var seenUnits: [Character] = []
            for ch in text {
                if ch.isASCII && ch.isNumber { digits.append(ch); continue }
                guard let n = Int(digits), ["h", "m", "s"].contains(ch), !seenUnits.contains(ch) else { throw bad("\"\(s)\" is not a duration") }
                let order: [Character: Int] = ["h": 0, "m": 1, "s": 2]
                if let last = seenUnits.last, let a = order[last], let b = order[ch], a >= b {
                    throw bad("\"\(s)\" has its units out of order")
                }
                seenUnits.append(ch)
                // Checked: "99999999999999999h" must be refused, not overflow.
                let (part, over1) = n.multipliedReportingOverflow(by: ch == "h" ? 3600 : ch == "m" ? 60 : 1)
                let (sum, over2) = total.addingReportingOverflow(part)
                guard !over1, !over2, sum <= maxCancelAfterSeconds else { throw bad("\"\(s.prefix(40))\" is above the API's maximum of 8760 h") }
                total = sum
                digits = ""
            }
            guard digits.isEmpty, !seenUnits.isEmpty else { throw bad("\"\(s)\" is not a duration") }
            try inRange(total)
            return text
        default:
            throw bad("must be a number or a string, got \(value.typeName)")
        }
    }

    /// `template` with each `{name}` that `values` has replaced by its value. One pass over the
    /// bytes: Foundation's `replacingOccurrences` and the standard library's `replacing` both
    /// showed in the profile of every call.
    static func fill(_ template: String, with values: [String: String]) -> String {
        guard !values.isEmpty else { return template }
        let bytes = Array(template.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 64)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "{"), let close = bytes[i...].firstIndex(of: UInt8(ascii: "}")),
                let value = values[String(decoding: bytes[(i + 1)..<close], as: UTF8.self)]
            {
                out.append(contentsOf: value.utf8)
                i = close + 1
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func encodePathSegment(_ s: String) -> String {
        percentEncode(s, keeping: pathSegmentBytes)
    }

    static func encodeQuery(_ s: String) -> String {
        percentEncode(s, keeping: queryBytes)
    }

    /// ASCII letters and digits plus `extra`, as a lookup table by byte. Built once: making a
    /// `CharacterSet` for every request (alphanumerics ∩ ASCII) took a sixth of a call's CPU time.
    private static func asciiTable(_ extra: String) -> [Bool] {
        var table = [Bool](repeating: false, count: 128)
        for b in UInt8(ascii: "0")...UInt8(ascii: "9") { table[Int(b)] = true }
        for b in UInt8(ascii: "A")...UInt8(ascii: "Z") { table[Int(b)] = true }
        for b in UInt8(ascii: "a")...UInt8(ascii: "z") { table[Int(b)] = true }
        for b in extra.utf8 { table[Int(b)] = true }
        return table
    }

    /// RFC 3986 `pchar` less `%`: unreserved, sub-delims, `:` and `@`.
    private static let pathSegmentBytes = asciiTable("-._~:@!$&'()*+,;=")
    /// Unreserved only, so `&`, `=` and `+` in a value cannot change the query's meaning.
    private static let queryBytes = asciiTable("-._~")

    /// Every UTF-8 byte not in `keeping` as `%XX` (upper-case hex), as `addingPercentEncoding` does.
    private static func percentEncode(_ s: String, keeping table: [Bool]) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out = [UInt8]()
        out.reserveCapacity(s.utf8.count)
        for b in s.utf8 {
            if b < 128 && table[Int(b)] {
                out.append(b)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Turns a successful response into an `APIResponse`, reading its body by its content type.
enum ResponseDecoder {
    /// The response for `raw` (a success): a JSON body checked now and decoded on first read of
    /// `body`, or decoded now when `decodeNow`; other bodies as `APIResponse.body` describes.
    static func response(_ raw: RawResponse, operation: String?, decodeNow: Bool) throws -> APIResponse {
        if raw.status == 204 || raw.body.isEmpty { return APIResponse(status: raw.status, headers: raw.headers, body: .null) }
        let contentType = raw.header("Content-Type")?.lowercased() ?? ""
        let firstByte = raw.body.first { ![0x20, 0x0A, 0x0D, 0x09].contains($0) }
        let looksJSON = firstByte == UInt8(ascii: "{") || firstByte == UInt8(ascii: "[")
        if contentType.utf8.contains(subsequence: "json".utf8) || (contentType.isEmpty && looksJSON) {
            var parser = JSONParser(bytes: [UInt8](raw.body), building: decodeNow, capture: "id")
            do throws(JSONError) {
                let value = try parser.parseDocument()
                if decodeNow { return APIResponse(status: raw.status, headers: raw.headers, body: value, json: raw.body) }
                return APIResponse(status: raw.status, headers: raw.headers, checkedJSON: raw.body, id: parser.captured)
            } catch {
                throw ReplicateError.validation("the response was not valid JSON (\(error.message))", operation: operation)
            }
        }
        if contentType.hasPrefix("text/") || contentType.isEmpty, let text = String(data: raw.body, encoding: .utf8) {
            return APIResponse(status: raw.status, headers: raw.headers, body: .string(text))
        }
        return APIResponse(status: raw.status, headers: raw.headers, body: .object([
            "content_type": .string(contentType.isEmpty ? "application/octet-stream" : contentType),
            "base64": .string(raw.body.base64EncodedString()),
        ]))
    }
}

extension Collection where Element: Equatable {
    /// Whether `other` occurs in this collection as a contiguous run.
    func contains(subsequence other: some Collection<Element>) -> Bool {
        guard !other.isEmpty else { return true }
        var start = startIndex
        while start != endIndex {
            if self[start...].starts(with: other) { return true }
            start = index(after: start)
        }
        return false
    }
}
