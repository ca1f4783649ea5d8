import Foundation
import Hummingbird

/// Cursor pagination in the service's shape: `{"next","previous","results"}` with absolute
/// `next`/`previous` URLs carrying an opaque `?cursor=`.
enum Pagination {
    static func encode(offset: Int) -> String {
        Data("o:\(offset)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ cursor: String) -> Int? {
        var b = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b.count % 4 != 0 { b += "=" }
        guard let d = Data(base64Encoded: b), let s = String(data: d, encoding: .utf8), s.hasPrefix("o:"),
            let n = Int(s.dropFirst(2)), n >= 0
        else { return nil }
        return n
    }

    static func page(_ items: [JSON], request: Request, root: String, pageSize: Int) throws -> Response {
        var query = parseQuery(request.uri.query)
        var offset = 0
        if let c = query["cursor"] {
            guard let o = decode(c) else { throw Problem.badRequest("Invalid cursor.") }
            // A cursor is the client's to send: past the end is an empty page, and the offset
            // arithmetic below stays within the items.
            offset = min(o, items.count)
        }
        let size = max(1, pageSize)
        let slice = offset < items.count ? Array(items[offset..<min(items.count, offset + size)]) : []
        query.removeValue(forKey: "cursor")
        func url(_ o: Int) -> JSON {
            var q = query
            q["cursor"] = encode(offset: o)
            let qs = q.keys.sorted().map { "\(percentEncode($0))=\(percentEncode(q[$0] ?? ""))" }.joined(separator: "&")
            return .string("\(root)\(request.uri.path)?\(qs)")
        }
        let next: JSON = offset + size < items.count ? url(offset + size) : .null
        let previous: JSON = offset > 0 ? url(max(0, offset - size)) : .null
        return jsonResponse(["next": next, "previous": previous, "results": .array(slice)])
    }
}
