import Foundation
import LuaHost
import Replicate

/// Local files given as a model's file inputs, as the official clients take them: a field whose
/// schema says it is a file accepts a local path (or `replicate.file(path)`, which is
/// `{path = …}`). Up to `inlineLimit` the file is sent as a data URI in the create's own body;
/// above it, up to `maxBytes`, it is uploaded (`create_file`) as a step of the call, after the
/// call is approved, and its URL is sent. In the sandbox a path needs `--allow-read`.
enum FileInputs {
    /// Largest file sent inline as a data URI (the official clients' limit).
    static let inlineLimit = 256 * 1024
    /// Largest file a model input may name.
    static let maxBytes = 100 * 1024 * 1024

    /// A file to upload before the create is sent.
    struct Upload: Sendable {
        var field: String
        var filename: String
        var data: Data
    }

    /// `input` with its local files turned into data URIs, and the files too large for that: the
    /// values of the interface's file fields that name local files, and under any key a file
    /// as `replicate.file` (or an open file) gives it, `{path = …}` — a file whatever the schema
    /// says or when it is unknown, never its wrapper (which would send the local path).
    static func resolve(_ input: [String: JSONValue], interface: ModelInterface?, session: ReplicateSession,
                        function: String) throws -> (input: [String: JSONValue], uploads: [Upload]) {
        var input = input
        var uploads: [Upload] = []
        let fileFields = Set(interface?.inputs.filter(\.isFile).map(\.name) ?? [])
        for name in input.keys.sorted() {
            guard let value = input[name], fileFields.contains(name) || isFileMarker(value),
                  let path = localPath(value, sandboxed: session.sandboxed) else { continue }
            let granted = try session.checkFileAccess(path, write: false, function: function)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: granted, isDirectory: &isDirectory), !isDirectory.boolValue else {
                throw LuaErrors.validation(function: function, message: "replicate.\(function): input '\(name)': no file at '\(path)' (give a local file, a URL or a data URI)")
            }
            let size = (try? FileManager.default.attributesOfItem(atPath: granted)[.size] as? NSNumber)?.intValue ?? 0
            guard size <= maxBytes else {
                throw LuaErrors.validation(function: function, message: "replicate.\(function): input '\(name)': '\(path)' is \(size / 1_048_576) MiB; a file input may be at most 100 MiB (upload it elsewhere and give its URL)")
            }
            guard let data = FileManager.default.contents(atPath: granted) else {
                throw LuaErrors.validation(function: function, message: "replicate.\(function): input '\(name)': cannot read '\(path)'")
            }
            let filename = (granted as NSString).lastPathComponent
            if data.count <= inlineLimit {
                input[name] = .string("data:\(MIMEType.guess(filename));base64,\(data.base64EncodedString())")
            } else {
                // Until the upload gives its URL, the request names the file by its path.
                input[name] = .string(path)
                uploads.append(Upload(field: name, filename: filename, data: data))
            }
        }
        return (input, uploads)
    }

    /// Whether `value` is a file as `replicate.file(path)` gives it: `{path = "…"}` alone.
    static func isFileMarker(_ value: JSONValue) -> Bool {
        guard let object = value.objectValue, object.count == 1 else { return false }
        return object["path"]?.stringValue != nil
    }

    /// The local path a file input names, or nil for a URL, a data URI or anything else. In the
    /// sandbox only a path written as one counts (`/…`, `./…`, `../…`, `~/…`), so a script cannot
    /// probe which names exist outside its grants.
    static func localPath(_ value: JSONValue, sandboxed: Bool) -> String? {
        let text: String
        if let string = value.stringValue {
            text = string
        } else if let object = value.objectValue, object.count == 1, let path = object["path"]?.stringValue {
            return expand(path)
        } else {
            return nil
        }
        if text.hasPrefix("data:") || text.contains("://") || text.isEmpty { return nil }
        if ["/", "./", "../", "~/"].contains(where: text.hasPrefix) { return expand(text) }
        return !sandboxed && FileManager.default.fileExists(atPath: text) ? text : nil
    }

    private static func expand(_ path: String) -> String {
        path.hasPrefix("~/") ? (path as NSString).expandingTildeInPath : path
    }
}
