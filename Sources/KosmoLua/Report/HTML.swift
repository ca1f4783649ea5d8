import Foundation

/// Escaping for text and attribute values in the report's HTML.
enum HTML {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// A relative path as an `href`/`src`: each component percent-encoded, so a file name can
    /// never read as a scheme (`javascript:`) or leave the attribute.
    static func relativeURL(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { component in
            component.addingPercentEncoding(withAllowedCharacters: .urlPathAllowedComponent) ?? ""
        }.joined(separator: "/")
    }
}

private extension CharacterSet {
    /// Unreserved characters (RFC 3986) only: no `:`, `/`, `?`, `#`, `%`.
    static let urlPathAllowedComponent = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}
