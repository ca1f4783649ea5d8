import Foundation

/// The files a prediction's output names, and the name each is kept under on disk: its SHA-256
/// with the URL's extension. One rule for every place that keeps outputs (`--save` folders, a
/// run log's files folder).
public enum OutputFiles {
    /// The http(s) URLs in an output, in order, each once.
    public static func urls(in output: JSONValue?) -> [String] {
        var found: [String] = []
        func walk(_ value: JSONValue) {
            switch value {
            case .string(let text):
                if text.hasPrefix("https://") || text.hasPrefix("http://"), URL(string: text) != nil, !found.contains(text) { found.append(text) }
            case .array(let items): items.forEach(walk)
            case .object(let fields): fields.keys.sorted().forEach { if let v = fields[$0] { walk(v) } }
            default: break
            }
        }
        if let output { walk(output) }
        return found
    }

    /// `.png` for `…/out-0.png`; letters and digits only, at most 10, else none.
    public static func fileExtension(_ url: URL) -> String {
        let ext = url.pathExtension.lowercased()
        guard !ext.isEmpty, ext.count <= 10, ext.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else { return "" }
        return "." + ext
    }

    /// The name a file from `url` with checksum `sha256` is kept under.
    public static func name(sha256: String, url: URL) -> String {
        sha256 + fileExtension(url)
    }
}
