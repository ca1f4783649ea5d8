import CLua
import Foundation
import LuaHost
import Replicate

/// `replicate.upload` and `replicate.download`. Local files are read and written only within
/// the sandbox's grants (`--allow-read DIR`, `--allow-write DIR`).
enum FileHelpers {
    /// `upload(path_or_string, opts)`: uploads a file (by path) or a string's bytes (with
    /// `opts.filename`), returning the file object (`id`, `urls.get`, …).
    static func upload(_ source: SessionSource) -> HostFunction {
        .async { call in
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
            guard let operation = Catalog.operation(named: "create_file") else { return { [] } }
            let name = filename ?? "file"
            let arguments: [String: JSONValue] = ["filename": .string(name)]
            let decision = try session.authorize("upload", operation, arguments: arguments, pausing: call.vm)
            let contentType = options["content_type"]?.stringValue ?? MIMEType.guess(name)
            let metadata = options["metadata"]
            let client = session.client
            return {
                [try await session.perform("upload", access: .write, decision: decision) {
                    let file = try await client.files.upload(data, filename: name, contentType: contentType, metadata: metadata)
                    return (LuaJSON.value(file.raw), 201, nil)
                }]
            }
        }
    }

    /// `download(url_or_file, path)`: streams a URL (or a file object's signed `urls.download`,
    /// else its `urls.get`) to `path`;
    /// returns `{path =, bytes =, content_type =}`.
    static func download(_ source: SessionSource) -> HostFunction {
        .async { call in
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
            guard client.mayDownload(from: url, hosts: hosts) else {
                session.callLog.append(CallRecord(function: "download", access: .read, decision: .denied, status: nil, ms: 0, predictionID: nil, error: .permission))
                throw refusal(DownloadHostRefused(refusing: url), client: client)
            }
            guard let operation = Catalog.operation(named: "download_file") else { return { [] } }
            let decision = try session.authorize("download", operation, arguments: ["url": .string(source)], pausing: call.vm)
            return {
                [try await session.perform("download", access: .read, decision: decision) {
                    let result: DownloadResult
                    do {
                        result = try await client.download(url: url, to: target, hosts: hosts)
                    } catch let refused as DownloadHostRefused {
                        throw refusal(refused, client: client)
                    }
                    var fields: [(String, LuaValue)] = [("path", .string(text)), ("bytes", .integer(Int64(result.bytes)))]
                    if let type = result.contentType { fields.append(("content_type", .string(type))) }
                    return (LuaValue.table(fields), 200, nil)
                }]
            }
        }
    }

    /// A host the sandbox does not download from, as the permission error that says how to
    /// allow it.
    private static func refusal(_ refused: DownloadHostRefused, client: ReplicateClient) -> LuaRaise {
        let api = DownloadHosts.hostAndPort(client.configuration.baseURL)
        return LuaErrors.permission(function: "download", access: .read, message:
            "\(refused); in the sandbox downloads go only to the API's file hosts (\(api), replicate.delivery); "
            + "to allow it: --allow-download-host \(refused.host)")
    }
}
