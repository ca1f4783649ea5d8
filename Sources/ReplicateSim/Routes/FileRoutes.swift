import Crypto
import Foundation
import Hummingbird

extension SimCore {
    static let maxUpload = 100 * 1024 * 1024

    func registerFileRoutes(on router: Router<BasicRequestContext>) {
        router.post("/v1/files") { request, _ in
            guard let type = request.headers[.contentType], let boundary = Multipart.boundary(type) else {
                throw Problem.badRequest("Expected a multipart/form-data body with a boundary.")
            }
            if let length = request.headers[.contentLength].flatMap(Int.init), length > Self.maxUpload + 64 * 1024 {
                throw Problem(status: .contentTooLarge, title: "Request entity too large", detail: "Files must be less than 100MB in size")
            }
            let buffer: ByteBuffer
            do {
                buffer = try await request.body.collect(upTo: Self.maxUpload + 64 * 1024)
            } catch {
                throw Problem(status: .contentTooLarge, title: "Request entity too large", detail: "Files must be less than 100MB in size")
            }
            let parts = Multipart.parse(Data(buffer.readableBytesView), boundary: boundary)
            guard let content = parts.first(where: { $0.name == "content" }) else {
                throw Problem.invalid("- content: content is required\n", errors: [.init(type: "required", field: "content", description: "content is required")])
            }
            let field: (String) -> String? = { n in parts.first(where: { $0.name == n }).map { String(decoding: $0.data, as: UTF8.self) } }
            var metadata: JSON = [:]
            if let m = field("metadata") {
                guard let parsed = JSON.parse(Data(m.utf8)), parsed.object != nil else {
                    throw Problem.invalid("- metadata: must be a JSON object\n")
                }
                metadata = parsed
            }
            let name = field("filename") ?? content.filename ?? "file"
            let contentType = field("type") ?? content.contentType ?? "application/octet-stream"
            let record = FileRecord(
                id: IDs.file(), name: name, contentType: contentType, data: content.data, metadata: metadata,
                createdAt: Date(),
                md5: Insecure.MD5.hash(data: content.data).map { String(format: "%02x", $0) }.joined(),
                sha256: SHA256.hash(data: content.data).map { String(format: "%02x", $0) }.joined())
            self.state.files.withLockedValue { $0[record.id] = record }
            self.state.fileOrder.withLockedValue { $0.append(record.id) }
            return jsonResponse(self.fileJSON(record), status: .created)
        }

        router.get("/v1/files") { request, _ in
            let order = self.state.fileOrder.withLockedValue { $0 }
            let files = self.state.files.withLockedValue { t in order.reversed().compactMap { t[$0] } }
            return try Pagination.page(files.map(self.fileJSON), request: request, root: self.state.root, pageSize: self.options.pageSize)
        }

        router.get("/v1/files/:id") { _, context in
            try jsonResponse(self.fileJSON(self.requireFile(context)))
        }

        router.delete("/v1/files/:id") { _, context in
            let f = try self.requireFile(context)
            self.state.files.withLockedValue { _ = $0.removeValue(forKey: f.id) }
            self.state.fileOrder.withLockedValue { $0.removeAll { $0 == f.id } }
            return Response(status: .noContent)
        }

        router.get("/v1/files/:id/download") { request, context in
            let f = try self.requireFile(context)
            let q = parseQuery(request.uri.query)
            guard let owner = q["owner"], let expiryText = q["expiry"], let signature = q["signature"] else {
                throw Problem.badRequest("owner, expiry and signature are required.")
            }
            guard let expiry = Int(expiryText), owner == self.state.username,
                signature == self.signDownload(id: f.id, owner: owner, expiry: expiry)
            else {
                throw Problem(status: .forbidden, title: "Forbidden", detail: "Invalid signature.")
            }
            guard Double(expiry) > Date().timeIntervalSince1970 else {
                throw Problem(status: .forbidden, title: "Forbidden", detail: "This download link has expired.")
            }
            return Response(
                status: .ok,
                headers: [.contentType: f.contentType, .contentDisposition: "attachment; filename=\"\(f.name)\""],
                body: .init(byteBuffer: ByteBuffer(data: f.data)))
        }
    }

    func requireFile(_ context: BasicRequestContext) throws -> FileRecord {
        let id = context.parameters.get("id") ?? ""
        guard let f = state.files.withLockedValue({ $0[id] }) else { throw Problem.notFound("File not found.") }
        return f
    }

    /// The file JSON plus `urls.download`, a signed link valid for a day (the service signs
    /// download links server-side; this is where a client can read one).
    func fileJSON(_ f: FileRecord) -> JSON {
        var json = f.json(api: state.apiBase).object ?? [:]
        let expiry = Int(f.createdAt.timeIntervalSince1970) + 86_400
        let sig = signDownload(id: f.id, owner: state.username, expiry: expiry)
        json["urls"] = [
            "get": .string("\(state.apiBase)/files/\(f.id)"),
            "download": .string("\(state.apiBase)/files/\(f.id)/download?owner=\(state.username)&expiry=\(expiry)&signature=\(percentEncode(sig))"),
        ]
        return .object(json)
    }

    func signDownload(id: String, owner: String, expiry: Int) -> String {
        let key = SymmetricKey(data: Data(state.webhookSecret.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(id):\(owner):\(expiry)".utf8), using: key)
        return Data(mac).base64EncodedString()
    }
}

/// Just enough multipart/form-data parsing for `POST /files`.
enum Multipart {
    struct Part {
        var name: String?
        var filename: String?
        var contentType: String?
        var data: Data
    }

    static func boundary(_ contentType: String) -> String? {
        guard contentType.lowercased().hasPrefix("multipart/form-data") else { return nil }
        for param in contentType.split(separator: ";").dropFirst() {
            let kv = param.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if kv.count == 2, kv[0].lowercased() == "boundary" {
                return kv[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
        }
        return nil
    }

    static func parse(_ body: Data, boundary: String) -> [Part] {
        let delimiter = Data("--\(boundary)".utf8)
        var parts: [Part] = []
        var ranges: [Range<Data.Index>] = []
        var search = body.startIndex..<body.endIndex
        while let r = body.range(of: delimiter, in: search) {
            ranges.append(r)
            search = r.upperBound..<body.endIndex
        }
        guard ranges.count >= 2 else { return [] }
        let crlf2 = Data("\r\n\r\n".utf8)
        for i in 0..<(ranges.count - 1) {
            var start = ranges[i].upperBound
            var end = ranges[i + 1].lowerBound
            // Skip the CRLF after the delimiter and before the next one.
            if body[start...].starts(with: Data("\r\n".utf8)) { start = body.index(start, offsetBy: 2) }
            if end - start >= 2, body[body.index(end, offsetBy: -2)..<end] == Data("\r\n".utf8) { end = body.index(end, offsetBy: -2) }
            guard start <= end, let headerEnd = body.range(of: crlf2, in: start..<end) else { continue }
            let headerText = String(decoding: body[start..<headerEnd.lowerBound], as: UTF8.self)
            var part = Part(data: Data(body[headerEnd.upperBound..<end]))
            for line in headerText.components(separatedBy: "\r\n") {
                let lower = line.lowercased()
                if lower.hasPrefix("content-disposition:") {
                    part.name = attribute("name", in: line)
                    part.filename = attribute("filename", in: line)
                } else if lower.hasPrefix("content-type:") {
                    part.contentType = line.dropFirst("content-type:".count).trimmingCharacters(in: .whitespaces)
                }
            }
            parts.append(part)
        }
        return parts
    }

    static func attribute(_ name: String, in line: String) -> String? {
        for piece in line.split(separator: ";") {
            let kv = piece.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if kv.count == 2, kv[0].lowercased() == name {
                return kv[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
        }
        return nil
    }
}
