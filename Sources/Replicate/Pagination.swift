import Foundation

extension ReplicateClient {
    /// Fetches the page after `page`, or nil at the end.
    public func nextPage<T>(of page: Page<T>) async throws -> Page<T>? {
        guard let next = page.next else { return nil }
        return try Page<T>(json: await follow(next, operation: "next_page"))
    }

    /// Fetches the page before `page`, or nil at the start.
    public func previousPage<T>(of page: Page<T>) async throws -> Page<T>? {
        guard let previous = page.previous else { return nil }
        return try Page<T>(json: await follow(previous, operation: "previous_page"))
    }

    /// Walks every item of a paginated operation (`list_models`, `search_models`, …),
    /// fetching pages lazily as the sequence is iterated.
    public func paginate<T: ReplicateObject>(
        _ operation: String, arguments: [String: JSONValue] = [:], as: T.Type = T.self
    ) -> PageSequence<T> {
        PageSequence(client: self, operation: operation, arguments: arguments)
    }

    /// One raw page of a paginated operation: the first when `next` is nil, else the page at
    /// the `next` (or `previous`) URL an earlier page gave. A `QUERY` operation
    /// (`search_models`) sends its text body again, since the body is the query.
    public func fetchPage(operation: OperationSpec, arguments: [String: JSONValue], next: String?) async throws -> JSONValue {
        let first = try prepare(operation, arguments: arguments)
        return try await perform(next.map(first.following) ?? first).body
    }

    /// The page of a paginated operation at `cursor`: either a `next`/`previous` URL an earlier
    /// page gave, or the bare `cursor` value from such a URL.
    public func fetchPage(operation: OperationSpec, arguments: [String: JSONValue], cursor: String) async throws -> JSONValue {
        try await perform(try prepare(operation, arguments: arguments).page(at: cursor)).body
    }
}

extension PreparedRequest {
    /// This request for another page: at the `next` (or `previous`) URL an earlier page gave.
    /// Method, headers and body stay — a `QUERY` (`search_models`) is answered by its body, so
    /// every page needs it again. The URL must be absolute; whether the token goes with it is
    /// decided per URL when it is sent, as for every request.
    public func following(_ next: String) throws -> PreparedRequest {
        let target = try Self.pageURL(next, api: exchange.url, operation: operation.name)
        var moved = exchange
        moved.url = target
        return PreparedRequest(operation: operation, exchange: moved)
    }

    /// `text` as the URL of another page of the API at `api`: absolute, and on the API's own
    /// origin (scheme, host and port). A page URL or a cursor given as a URL comes from the
    /// script or from an answer; one elsewhere would make every paginated function a way to
    /// send a GET to any host and read its JSON, past the sandbox's download hosts.
    static func pageURL(_ text: String, api: URL, operation: String?) throws -> URL {
        guard let target = URL(string: text), let scheme = target.scheme?.lowercased(), let host = target.host?.lowercased() else {
            throw ReplicateError.validation("not an absolute URL: \(text)", operation: operation)
        }
        func port(_ url: URL, _ scheme: String) -> Int? { url.port ?? (scheme == "https" ? 443 : scheme == "http" ? 80 : nil) }
        let apiScheme = api.scheme?.lowercased() ?? ""
        guard scheme == apiScheme, host == api.host?.lowercased(), port(target, scheme) == port(api, apiScheme) else {
            let origin = "\(apiScheme)://\(api.host ?? "")" + (api.port.map { ":\($0)" } ?? "")
            throw ReplicateError.validation("the page URL \(text.prefix(200)) is not on the API's own origin (\(origin)); "
                + "pass a cursor or a next/previous URL a page of this API gave", operation: operation)
        }
        return target
    }

    /// This request for the page at `cursor`: a `next`/`previous` URL an earlier page gave
    /// (`following`), or the bare `cursor` value from such a URL, added to this request's query.
    public func page(at cursor: String) throws -> PreparedRequest {
        if cursor.hasPrefix("https://") || cursor.hasPrefix("http://") { return try following(cursor) }
        guard var components = URLComponents(url: exchange.url, resolvingAgainstBaseURL: false) else {
            throw ReplicateError.validation("cannot add a cursor to \(exchange.url)", operation: operation.name)
        }
        components.queryItems = (components.queryItems ?? []) + [URLQueryItem(name: "cursor", value: cursor)]
        guard let url = components.url else {
            throw ReplicateError.validation("cursor '\(cursor)' does not fit in a URL", operation: operation.name)
        }
        var moved = exchange
        moved.url = url
        return PreparedRequest(operation: operation, exchange: moved)
    }
}

/// Every item of a paginated operation, page after page. Iterating fetches lazily; an error
/// (for any page) is thrown from `next()`.
public struct PageSequence<T: ReplicateObject>: AsyncSequence, Sendable {
    public typealias Element = T
    let client: ReplicateClient
    let operation: String
    let arguments: [String: JSONValue]

    public func makeAsyncIterator() -> Iterator {
        Iterator(client: client, operation: operation, arguments: arguments)
    }

    /// Collects every item (beware of very long listings).
    public func collect(limit: Int = .max) async throws -> [T] {
        var items: [T] = []
        for try await item in self {
            if items.count >= limit { break }
            items.append(item)
        }
        return items
    }

    public struct Iterator: AsyncIteratorProtocol {
        let client: ReplicateClient
        let operation: String
        let arguments: [String: JSONValue]
        var buffer: [T] = []
        var index = 0
        var nextURL: String?
        var started = false
        var finished = false
        /// Pages fetched so far (for tests and progress reporting).
        public private(set) var pagesFetched = 0

        init(client: ReplicateClient, operation: String, arguments: [String: JSONValue]) {
            self.client = client
            self.operation = operation
            self.arguments = arguments
        }

        public mutating func next() async throws -> T? {
            while index >= buffer.count {
                if finished || (started && nextURL == nil) { return nil }
                let spec = try Catalog.require(operation)
                guard spec.paginated else {
                    throw ReplicateError.validation("\(spec.name) is not a paginated operation", operation: spec.name)
                }
                let json = try await client.fetchPage(operation: spec, arguments: arguments, next: started ? nextURL : nil)
                let page = try Page<T>(json: json)
                started = true
                pagesFetched += 1
                buffer = page.results
                index = 0
                // A server that hands back the same cursor would loop forever.
                if page.next == nextURL, page.next != nil { finished = true }
                nextURL = page.next
            }
            defer { index += 1 }
            return buffer[index]
        }
    }
}
