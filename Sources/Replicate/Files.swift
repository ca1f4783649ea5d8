import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

// `File` is generated from the spec (GeneratedObjects.swift).

extension File {
    /// `urls.get`: the URL to pass as a model input.
    public var getURL: String? { urls?["get"] }
}

/// What a download wrote.
public struct DownloadResult: Sendable {
    /// The file written.
    public let path: String
    /// Bytes written.
    public let bytes: Int
    /// The response's `Content-Type`, if any.
    public let contentType: String?
    /// The hex SHA-256 of the bytes written, computed as they arrived.
    public let sha256: String

    public init(path: String, bytes: Int, contentType: String?, sha256: String = "") {
        self.path = path
        self.bytes = bytes
        self.contentType = contentType
        self.sha256 = sha256
    }
}

/// A `multipart/form-data` body.
struct MultipartForm {
    let boundary: String
    private(set) var body = Data()

    init(boundary: String = "kosmo-" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()) {
        self.boundary = boundary
    }

    var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    /// Quotes a header parameter the way browsers do (`"` and line breaks percent-encoded).
    static func quote(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\"", with: "%22").replacingOccurrences(of: "\r", with: "%0D").replacingOccurrences(of: "\n", with: "%0A") + "\""
    }

    mutating func add(name: String, filename: String? = nil, contentType: String? = nil, data: Data) {
        var head = "--\(boundary)\r\nContent-Disposition: form-data; name=\(MultipartForm.quote(name))"
        if let filename { head += "; filename=\(MultipartForm.quote(filename))" }
        head += "\r\n"
        if let contentType { head += "Content-Type: \(contentType)\r\n" }
        head += "\r\n"
        body.append(Data(head.utf8))
        body.append(data)
        body.append(Data("\r\n".utf8))
    }

    func finished() -> Data {
        body + Data("--\(boundary)--\r\n".utf8)
    }

    /// The `POST /files` form from catalog arguments: `content` (a string or `{data = base64}`),
    /// `filename`, `type`, `metadata`.
    static func fileUpload(arguments: [String: JSONValue], operation: String) throws -> (body: Data, contentType: String) {
        let content: Data
        switch arguments["content"] {
        case .string(let s)?:
            content = Data(s.utf8)
        case .object(let o)? where o["data"]?.stringValue != nil:
            guard let b64 = o["data"]?.stringValue, let decoded = Data(base64Encoded: b64, options: .ignoreUnknownCharacters) else {
                throw ReplicateError.validation("'content.data' is not valid base64", operation: operation)
            }
            content = decoded
        case let other?:
            throw ReplicateError.validation("'content' must be a string or {data = <base64>}, got \(other.typeName)", operation: operation)
        case nil:
            throw ReplicateError.validation("missing required argument 'content'", operation: operation)
        }
        let filename = arguments["filename"]?.stringValue ?? "file"
        let type = arguments["type"]?.stringValue ?? "application/octet-stream"
        let metadata = arguments["metadata"]
        if let metadata, metadata.objectValue == nil, !(metadata.arrayValue?.isEmpty ?? false) {
            throw ReplicateError.validation("'metadata' must be an object, got \(metadata.typeName)", operation: operation)
        }
        return try makeUpload(content: content, filename: filename, contentType: type, metadata: metadata)
    }

    static func makeUpload(content: Data, filename: String, contentType: String, metadata: JSONValue?) throws -> (body: Data, contentType: String) {
        guard filename.utf8.count <= 255, !filename.isEmpty else {
            throw ReplicateError.validation("filename must be 1 to 255 bytes, got \(filename.utf8.count)")
        }
        guard !contentType.contains("\r"), !contentType.contains("\n") else {
            throw ReplicateError.validation("content type must be one line")
        }
        var form = MultipartForm()
        form.add(name: "content", filename: filename, contentType: contentType, data: content)
        form.add(name: "type", data: Data(contentType.utf8))
        form.add(name: "filename", data: Data(filename.utf8))
        if let metadata {
            let object: JSONValue = metadata.objectValue == nil ? .object([:]) : metadata
            do throws(JSONError) { form.add(name: "metadata", contentType: "application/json", data: try object.encoded()) } catch {
                throw ReplicateError.validation("'metadata' cannot be sent as JSON: \(error.message)")
            }
        }
        return (form.finished(), form.contentType)
    }
}

extension ReplicateClient {
    /// Files: upload, get, list, delete, signed download.
    public var files: Files { Files(client: self) }

    /// Streams `url` (a prediction output, or an API file URL) to `path` on disk, never holding
    /// the body in memory. `path` must name a file (see `DownloadTarget`: never a directory).
    /// The bytes land in a temporary file beside it, which is renamed over `path` only when the
    /// whole body arrived with a success status. The token is sent only to the API's origin and
    /// Replicate's own HTTPS hosts, never to a CDN or elsewhere.
    public func download(url: URL, to path: String) async throws -> DownloadResult {
        try await download(url: url, to: DownloadTarget(checking: path), hosts: .any, operation: "download")
    }

    /// Whether `hosts` lets a download fetch `url` (the check every hop of a download gets).
    public func mayDownload(from url: URL, hosts: DownloadHosts) -> Bool {
        hosts.allows(url, apiMayReceiveToken: transport.mayReceiveToken)
    }

    /// Streams `url` to a checked `target`, fetching only from `hosts` (redirects included:
    /// each hop is checked before it is sent, and gets the token only when it is the API's).
    /// Throws `DownloadHostRefused` for a host that is not allowed, with nothing sent to it.
    public func download(url: URL, to target: DownloadTarget, hosts: DownloadHosts, operation: String = "download") async throws -> DownloadResult {
        guard Self.isHTTP(url) else {
            throw ReplicateError.validation("cannot download '\(url.absoluteString)': not an http(s) URL", operation: operation)
        }
        guard mayDownload(from: url, hosts: hosts) else {
            throw DownloadHostRefused(refusing: url)
        }
        let file = try PartialFile(for: target, operation: operation)
        defer { file.discard() }
        var current = url
        var redirects = 0
        // One budget for the whole download, redirects included (they are not retries).
        var retries = RetryEngine(.requests(configuration), method: "GET", url: url, logger: configuration.logger)
        while true {
            let outcome: DownloadAttempt
            do {
                try file.reset()
                outcome = try await downloadOnce(url: current, into: file, hosts: hosts, operation: operation)
            } catch let failure as ReplicateError {
                try await RetryEngine.pause(try retries.delay(after: failure))
                continue
            }
            if (200...299).contains(outcome.status) {
                let digest = file.sha256
                try file.commit()
                return DownloadResult(path: target.path, bytes: file.size, contentType: outcome.headers.first(name: "Content-Type"), sha256: digest)
            }
            if let next = outcome.redirect {
                guard redirects < Transport.maxRedirects else {
                    throw ReplicateError(kind: .http, message: "more than \(Transport.maxRedirects) redirects from \(DownloadHosts.hostAndPort(url))",
                                         status: outcome.status, operation: operation)
                }
                guard Self.isHTTP(next) else {
                    throw ReplicateError.validation("the download was redirected to a URL that is not http(s)", operation: operation)
                }
                guard mayDownload(from: next, hosts: hosts) else {
                    throw DownloadHostRefused(refusing: next, redirectedFrom: current)
                }
                redirects += 1
                current = next
                retries.url = next
                continue
            }
            if case .retry(let delay) = retries.verdict(status: outcome.status, retryAfter: outcome.headers.first(name: "Retry-After")) {
                try await RetryEngine.pause(delay)
                continue
            }
            guard hosts.revealsErrorBodies else {
                // What another server answered is not the caller's to read: the status only.
                let reason = HTTPResponseStatus(statusCode: outcome.status).reasonPhrase
                throw ReplicateError(kind: .http, message: "HTTP \(outcome.status)\(reason.isEmpty ? "" : " " + reason) from \(DownloadHosts.hostAndPort(current))",
                                     status: outcome.status, operation: operation)
            }
            throw ReplicateError.http(status: outcome.status, body: outcome.errorBody, headers: outcome.headers.map { ($0.name, $0.value) }, operation: operation)
                .redacting(configuration.token)
        }
    }

    private static func isHTTP(_ url: URL) -> Bool {
        guard let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme), url.host != nil else { return false }
        return true
    }

    /// What one request of a download got: a success (its body is in the file), a redirect, or
    /// an error status with the start of its body.
    private struct DownloadAttempt {
        var status: Int
        var headers: HTTPHeaders
        var redirect: URL?
        var errorBody = Data()
    }

    private func downloadOnce(url: URL, into file: PartialFile, hosts: DownloadHosts, operation: String) async throws -> DownloadAttempt {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .GET
        for (name, value) in transport.standardHeaders(for: url) { request.headers.add(name: name, value: value) }
        let exchange = HTTPExchange(method: "GET", url: url, operation: operation)
        let pool = Transport.pool(connect: configuration.connectTimeout, read: configuration.readTimeout, followRedirects: false)
        // A file on the API's own host counts against its limits; a delivery host's does not.
        let rateClass = transport.rateClass(method: "GET", url: url, operation: operation)
        do {
            var ticket: RatePacer.Ticket?
            if let rateClass { ticket = try await transport.pacer.admit(rateClass) }
            // No deadline for the whole body (a large output takes as long as it takes); the
            // pool's read timeout ends a transfer that stalls.
            let response = try await pool.execute(request, deadline: .distantFuture)
            if let ticket { transport.pacer.sent(ticket) }
            let status = Int(response.status.code)
            transport.noteLimits(status: status, retryAfter: response.headers.first(name: "Retry-After"), rateClass)
            var attempt = DownloadAttempt(status: status, headers: response.headers)
            if (200...299).contains(status) {
                for try await chunk in response.body { try file.append(chunk) }
            } else if [301, 302, 303, 307, 308].contains(status), let location = response.headers.first(name: "Location") {
                attempt.redirect = URL(string: location, relativeTo: url)?.absoluteURL
            } else if hosts.revealsErrorBodies {
                // An error body is small: read a little of it for the problem document.
                for try await chunk in response.body {
                    attempt.errorBody.append(contentsOf: chunk.readableBytesView.prefix(64 * 1024 - attempt.errorBody.count))
                    if attempt.errorBody.count >= 64 * 1024 { break }
                }
            }
            return attempt
        } catch let error as ReplicateError {
            throw error
        } catch {
            if Task.isCancelled { throw CancellationError() }
            throw Transport.map(error, exchange: exchange).redacting(configuration.token)
        }
    }
}

/// The files resource.
public struct Files: Sendable {
    let client: ReplicateClient

    /// Inputs up to this size travel inline as data URIs; larger ones are uploaded.
    public static let dataURILimit = 256 * 1024

    /// `POST /files`: uploads `data` as multipart form data.
    public func upload(_ data: Data, filename: String = "file", contentType: String = "application/octet-stream", metadata: JSONValue? = nil) async throws -> File {
        let form = try MultipartForm.makeUpload(content: data, filename: filename, contentType: contentType, metadata: metadata)
        guard let url = URL(string: client.configuration.baseURL.absoluteString.trimmingSuffix("/") + "/files") else {
            throw ReplicateError.validation("bad base URL", operation: "create_file")
        }
        var exchange = HTTPExchange(method: "POST", url: url, operation: "create_file")
        exchange.headers = [("Accept", "application/json"), ("Content-Type", form.contentType)]
        exchange.body = form.body
        return try File(json: await client.execute(exchange, operation: "create_file", decodeNow: true).body)
    }

    /// Uploads the file at `path`, named after it, with a content type guessed from its extension.
    public func upload(fileAt path: String, contentType: String? = nil, metadata: JSONValue? = nil) async throws -> File {
        let data = try readFile(path)
        let name = (path as NSString).lastPathComponent
        return try await upload(data, filename: name, contentType: contentType ?? MIMEType.guess(name), metadata: metadata)
    }

    /// Turns bytes into a model input: a `data:` URI up to 256 KB, otherwise an upload whose
    /// `urls.get` is returned.
    public func encodeInput(_ data: Data, filename: String = "file", contentType: String? = nil) async throws -> String {
        let type = contentType ?? MIMEType.guess(filename)
        if data.count <= Files.dataURILimit {
            return "data:\(type);base64,\(data.base64EncodedString())"
        }
        let file = try await upload(data, filename: filename, contentType: type)
        guard let url = file.getURL else {
            throw ReplicateError.validation("uploaded file \(file.id) has no urls.get", operation: "create_file")
        }
        return url
    }

    /// `encodeInput` for the file at `path`.
    public func encodeInput(fileAt path: String) async throws -> String {
        try await encodeInput(readFile(path), filename: (path as NSString).lastPathComponent)
    }

    /// `GET /files/{id}`.
    public func get(_ id: String) async throws -> File {
        try await client.call("get_file", ["file_id": .string(id)], as: File.self)
    }

    /// `GET /files`: the first page.
    public func list() async throws -> Page<File> {
        try await client.call("list_files", as: Page<File>.self)
    }

    /// Every file.
    public func all() -> PageSequence<File> {
        client.paginate("list_files")
    }

    /// `DELETE /files/{id}`.
    public func delete(_ id: String) async throws {
        _ = try await client.call("delete_file", ["file_id": .string(id)])
    }

    /// `GET /files/{id}/download?owner=&expiry=&signature=`: the signed download, streamed to `path`.
    public func download(id: String, owner: String, expiry: Int64, signature: String, to path: String) async throws -> DownloadResult {
        let spec = try Catalog.require("download_file")
        let exchange = try RequestBuilder(operation: spec, baseURL: client.configuration.baseURL).build([
            "file_id": .string(id), "owner": .string(owner), "expiry": .int(expiry), "signature": .string(signature),
        ])
        return try await client.download(url: exchange.url, to: DownloadTarget(checking: path, operation: spec.name), hosts: .any, operation: spec.name)
    }

    private func readFile(_ path: String) throws -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ReplicateError.validation("cannot read \(path): \(error.localizedDescription)")
        }
    }
}

/// Content types for common file extensions (for uploads and data URIs).
public enum MIMEType {
    static let table: [String: String] = [
        "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif", "webp": "image/webp",
        "svg": "image/svg+xml", "bmp": "image/bmp", "tif": "image/tiff", "tiff": "image/tiff",
        "mp3": "audio/mpeg", "wav": "audio/wav", "ogg": "audio/ogg", "flac": "audio/flac", "m4a": "audio/mp4",
        "mp4": "video/mp4", "webm": "video/webm", "mov": "video/quicktime",
        "txt": "text/plain", "md": "text/markdown", "csv": "text/csv", "json": "application/json", "pdf": "application/pdf",
        "zip": "application/zip", "tar": "application/x-tar", "gz": "application/gzip",
    ]

    /// The content type for `filename`'s extension, `application/octet-stream` when unknown.
    public static func guess(_ filename: String) -> String {
        table[(filename as NSString).pathExtension.lowercased()] ?? "application/octet-stream"
    }
}

extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        var s = self
        while s.hasSuffix(suffix) { s.removeLast(suffix.count) }
        return s
    }
}
