import Foundation

/// Which hosts a download may fetch from: the first URL and every redirect are checked, before
/// anything is sent to them.
///
/// A library user or the CLI outside the sandbox downloads from anywhere (`.any`). Agent code
/// (the sandbox) gets `.replicateFiles(alsoAllowing:)`: the API's own file hosts only, so a
/// script cannot make the host fetch a loopback or internal address for it.
public struct DownloadHosts: Sendable, Equatable {
    /// Hosts allowed besides the API's own; nil means any host.
    let extra: [HostPattern]?

    /// Any http(s) host; error bodies are read into the error as for API calls.
    public static let any = DownloadHosts(extra: nil)

    /// The API's file hosts (see `isReplicateFileHost`) and `extra`. A failed download's error
    /// carries only its status, never the body: what another server answered is not the
    /// script's to read.
    public static func replicateFiles(alsoAllowing extra: [HostPattern] = []) -> DownloadHosts {
        DownloadHosts(extra: extra)
    }

    /// Whether an error may carry the body of the response.
    var revealsErrorBodies: Bool { extra == nil }

    /// Whether `url` may be fetched; `apiMayReceiveToken` is the transport's rule for the
    /// API's origin and Replicate's own hosts (the hosts that also get the token).
    func allows(_ url: URL, apiMayReceiveToken: (URL) -> Bool) -> Bool {
        guard let extra else { return true }
        return apiMayReceiveToken(url) || Self.isDeliveryHost(url) || extra.contains { $0.matches(url) }
    }

    /// Replicate's delivery CDN, where prediction outputs live (`replicate.delivery`,
    /// `pbxt.replicate.delivery`, …), over HTTPS.
    static func isDeliveryHost(_ url: URL) -> Bool {
        let host = url.host?.lowercased() ?? ""
        return url.scheme?.lowercased() == "https" && (host == "replicate.delivery" || host.hasSuffix(".replicate.delivery"))
    }

    /// `host` or `host:port` of `url`, as `--allow-download-host` would take it.
    public static func hostAndPort(_ url: URL) -> String {
        let host = HostPattern.bare(url.host ?? "?")
        let shown = host.contains(":") ? "[\(host)]" : host
        return url.port.map { "\(shown):\($0)" } ?? shown
    }
}

/// A host a download may also fetch from: `cdn.example.com` (any port), `127.0.0.1:8080`
/// (that port only), `*.example.com` (its subdomains), `[::1]:8080`.
public struct HostPattern: Sendable, Equatable, CustomStringConvertible {
    /// Lower case, without brackets; `*.example.com` for subdomains.
    public let host: String
    public let port: Int?

    /// Parses `host`, `host:port`, `[v6]`, `[v6]:port` or `*.domain`; nil when `text` is none of
    /// those (a URL, a path, an empty or over-long name, a port out of 1…65535).
    public init?(_ text: String) {
        // A DNS name is at most 253 bytes; with brackets and a port, a little more.
        guard text.utf8.count <= 262 else { return nil }
        var rest = Substring(text.trimmingCharacters(in: .whitespaces).lowercased())
        var port: Int?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return nil }
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let p = Self.port(after.dropFirst()) else { return nil }
                port = p
            }
            rest = rest[rest.index(after: rest.startIndex)..<close]
            guard !rest.isEmpty, rest.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return nil }
        } else {
            if rest.filter({ $0 == ":" }).count == 1, let colon = rest.firstIndex(of: ":") {
                guard let p = Self.port(rest[rest.index(after: colon)...]) else { return nil }
                port = p
                rest = rest[..<colon]
            }
            let allowed = rest.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "*" || $0 == ":") }
            let star = rest.filter { $0 == "*" }.count
            guard !rest.isEmpty, allowed, star == 0 || (star == 1 && rest.hasPrefix("*.") && rest.count > 2) else { return nil }
        }
        host = String(rest)
        self.port = port
    }

    public var description: String {
        let shown = host.contains(":") ? "[\(host)]" : host
        return port.map { "\(shown):\($0)" } ?? shown
    }

    func matches(_ url: URL) -> Bool {
        let urlHost = Self.bare(url.host ?? "").lowercased()
        let hostMatches = host.hasPrefix("*.") ? urlHost.hasSuffix(host.dropFirst()) : urlHost == host
        guard hostMatches else { return false }
        guard let port else { return true }
        return (url.port ?? (url.scheme?.lowercased() == "https" ? 443 : 80)) == port
    }

    /// A host without the brackets of an IPv6 literal.
    static func bare(_ host: String) -> String {
        host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
    }

    private static func port(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.count <= 5, text.allSatisfy(\.isASCII), let n = Int(text), (1...65535).contains(n) else { return nil }
        return n
    }
}

/// A download refused because the host of its URL (or of a redirect) is not allowed; nothing
/// was sent to that host.
public struct DownloadHostRefused: Error, Sendable, CustomStringConvertible {
    /// The refused URL's `host` or `host:port`.
    public let host: String
    /// Whether the refused URL came from a redirect (and from which host).
    public let redirectedFrom: String?
    /// Whether the host is Replicate's delivery CDN and only the scheme (not https) was wrong.
    public let needsHTTPS: Bool

    /// The refusal of `url` (reached by a redirect from `redirectedFrom`, if given).
    public init(refusing url: URL, redirectedFrom: URL? = nil) {
        host = DownloadHosts.hostAndPort(url)
        self.redirectedFrom = redirectedFrom.map(DownloadHosts.hostAndPort)
        var secure = URLComponents(url: url, resolvingAgainstBaseURL: false)
        secure?.scheme = "https"
        needsHTTPS = url.scheme?.lowercased() != "https" && secure?.url.map(DownloadHosts.isDeliveryHost) == true
    }

    public var description: String {
        if let redirectedFrom { return "the download from \(redirectedFrom) was redirected to \(host), which is not an allowed download host" }
        if needsHTTPS { return "\(host) is allowed over https only; use the https:// URL" }
        return "\(host) is not an allowed download host"
    }
}
