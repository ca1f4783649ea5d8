import CLua
import Foundation
import LuaHost
import Replicate

/// `replicate.upload` and `replicate.download`. Local files are read and written only within
/// the sandbox's grants (`--allow-read DIR`, `--allow-write DIR`).
enum FileHelpers {
    /// `upload(path_or_string, opts)`: uploads a file (by path) or a string's bytes (with
    /// `opts.filename`), returning the file object (`id`, `urls.get`, …).
    /// One `create_file` call whose steps send the file's bytes as the upload's body.
    static func upload(_ source: SessionSource) -> HostFunction {
        .work { call in
            let session = try source.get(for: "upload")
            guard let bytes = call.bytes(1) else {
                throw LuaErrors.validation(function: "upload", message: "replicate.upload: expected a file path or the content as a string, got \(Helpers.typeName(call, 1))")
            }
            let options = try Helpers.options(call, 2, function: "upload", allowed: ["filename", "content_type", "metadata"])
            let text = String(decoding: bytes, as: UTF8.self)
            var filename = options["filename"]?.stringValue
            let data: Data
            if filename == nil {
                // Without a filename the argument must name a file, so a mistyped path is an
                // error rather than an upload of the path itself.
                guard !bytes.contains(0), !bytes.contains(UInt8(ascii: "\n")), bytes.count < 4096 else {
                    throw LuaErrors.validation(function: "upload", message: "replicate.upload: to upload a string's bytes, name them: replicate.upload(content, {filename = \"name.txt\"})")
                }
                let path = try session.checkFileAccess(text, write: false, function: "upload")
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
                    throw LuaErrors.validation(function: "upload", message: "replicate.upload: no file at '\(text)' (to upload the string itself, pass {filename = \"name\"})")
                }
                guard let contents = FileManager.default.contents(atPath: path) else {
                    throw LuaErrors.validation(function: "upload", message: "replicate.upload: cannot read '\(text)'")
                }
                data = contents
                filename = (path as NSString).lastPathComponent
            } else {
                data = Data(bytes)
            }
            let operation = try Helpers.operation("create_file", function: "upload")
            let name = filename ?? "file"
            let contentType = options["content_type"]?.stringValue ?? MIMEType.guess(name)
            let metadata = options["metadata"]
            let pipeline = session.pipeline
            // The body is the file's bytes, not JSON arguments: the steps build the request.
            let admitted = try pipeline.admit(ReplicateCall(function: "upload", operation: operation, arguments: ["filename": .string(name)]),
                                              prepare: false, from: call)
            return pipeline.execute(admitted, .steps { steps in
                let file = try await steps.client.files.upload(data, filename: name, contentType: contentType, metadata: metadata)
                return CallResult([LuaJSON.value(file.raw)], status: 201)
            })
        }
    }

    /// `download(url_or_file, path)`: streams a URL (or a file object's signed `urls.download`,
    /// else its `urls.get`) to `path`;
    /// returns `{path =, bytes =, content_type =}`.
    /// One `download_file` call whose steps stream the URL to the checked target file.
    static func download(_ source: SessionSource) -> HostFunction {
        .work { call in
            let session = try source.get(for: "download")
            var source: String?
            if let text = call.string(1) {
                source = text
            } else if call.type(1) == LUA_TTABLE {
                let value = try LuaJSON.argument(call, 1, function: "download", what: "the file")
                source = value["urls"]?["download"]?.stringValue ?? value["urls"]?["get"]?.stringValue ?? value["url"]?.stringValue
                if source == nil, let first = value.arrayValue?.first?.stringValue, value.arrayValue?.count == 1 { source = first }
            }
            guard let source, let url = URL(string: source), url.scheme != nil else {
                throw LuaErrors.validation(function: "download", message: "replicate.download: expected a URL or a file object with urls.get, got \(Helpers.typeName(call, 1))")
            }
            guard ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil else {
                throw LuaErrors.validation(function: "download", message: "replicate.download: cannot download '\(source)': not an http(s) URL")
            }
            let text = try Helpers.requireString(call, 2, function: "download", what: "the destination path")
            let target = try session.checkWriteTarget(text, function: "download")
            let hosts = session.settings.downloadHosts(sandboxed: session.sandboxed)
            let client = session.client
            let audience = session.settings.audience
            guard client.mayDownload(from: url, hosts: hosts) else {
                session.callLog.append(CallRecord(function: "download", access: .read, decision: .denied, status: nil, ms: 0, predictionID: nil, error: .permission))
                throw refusal(DownloadHostRefused(refusing: url), client: client, audience: audience)
            }
            let operation = try Helpers.operation("download_file", function: "download")
            let pipeline = session.pipeline
            let admitted = try pipeline.admit(ReplicateCall(function: "download", operation: operation, arguments: ["url": .string(source)]),
                                              prepare: false, from: call)
            return pipeline.execute(admitted, .steps { steps in
                let result: DownloadResult
                do {
                    result = try await steps.client.download(url: url, to: target, hosts: hosts)
                } catch let refused as DownloadHostRefused {
                    throw refusal(refused, client: steps.client, audience: audience)
                }
                var fields: [(String, LuaValue)] = [("path", .string(text)), ("bytes", .integer(Int64(result.bytes)))]
                if let type = result.contentType { fields.append(("content_type", .string(type))) }
                return CallResult([.table(fields)], status: 200)
            })
        }
    }

    /// A host the sandbox does not download from, as the permission error that says how to
    /// allow it.
    private static func refusal(_ refused: DownloadHostRefused, client: ReplicateClient, audience: RefusalAudience) -> LuaRaise {
        let api = DownloadHosts.hostAndPort(client.configuration.baseURL)
        // The host is allowed, its scheme is not: no flag would help, the https URL does.
        if refused.needsHTTPS { return LuaErrors.permission(function: "download", access: .read, message: "\(refused)") }
        return LuaErrors.permission(function: "download", access: .read, message:
            "\(refused); in the sandbox downloads go only to the API's file hosts (\(api), replicate.delivery); "
            + audience.remedy(.downloadHost(refused.host)))
    }
}
