import Foundation
import Logging

/// How a `ReplicateClient` reaches the API. The token is kept out of `description`.
public struct ReplicateConfiguration: Sendable, CustomStringConvertible {
    /// The package version named in the `User-Agent`.
    public static let version = "0.1.0"
    /// The default API base.
    public static let defaultBaseURL = URL(string: "https://api.replicate.com/v1")!  // a literal that always parses
    /// `kosmo-lua/0.1.0 (Swift; Linux)` on Linux.
    public static var defaultUserAgent: String {
        #if os(Linux)
        let platform = "Linux"
        #elseif os(macOS)
        let platform = "macOS"
        #else
        let platform = "unknown"
        #endif
        return "kosmo-lua/\(version) (Swift; \(platform))"
    }

    /// API token sent as `Authorization: Bearer …`; nil sends no Authorization header.
    public var token: String?
    /// API base, ending in `/v1` for the real service.
    public var baseURL: URL
    /// Deadline for one HTTP exchange up to the response head (body reads use `readTimeout`).
    public var requestTimeout: TimeInterval
    /// Deadline for establishing a connection.
    public var connectTimeout: TimeInterval
    /// Longest silence allowed while reading a response body (streams included).
    public var readTimeout: TimeInterval
    /// Retries after a connection failure or a 5xx other than 503 (idempotent methods only).
    public var maxRetries: Int
    /// Retries after the server refused a request without running it (429, 503), any method.
    /// Larger than `maxRetries`: a busy service refuses often and says when to come back.
    public var maxRefusedRetries: Int
    /// First backoff delay; doubles each retry, with full jitter.
    public var retryBaseDelay: TimeInterval
    /// Upper bound on any single retry delay, including a server's `Retry-After`.
    public var maxRetryDelay: TimeInterval
    /// `User-Agent` header value.
    public var userAgent: String
    /// Requests a minute the client sends at most, by class (`RatePacer`); the service's own
    /// limits by default. Every client with the same base URL, token and limits shares one pacer.
    public var rateLimits: RateLimits
    /// Where request lines (method, path, status, time) are logged. Headers are never logged.
    public var logger: Logger
    /// Largest response body read; a larger one is an error, read no further. A session with a
    /// memory limit sets it to that limit: an answer larger than the whole limit could never
    /// become a Lua value, and reading it would take the host's memory past the limit first.
    public var maxResponseBytes = ReplicateConfiguration.defaultMaxResponseBytes
    /// 256 MiB.
    public static let defaultMaxResponseBytes = 256 * 1024 * 1024

    public init(
        token: String? = nil,
        baseURL: URL = ReplicateConfiguration.defaultBaseURL,
        requestTimeout: TimeInterval = 60,
        connectTimeout: TimeInterval = 10,
        readTimeout: TimeInterval = 120,
        maxRetries: Int = 3,
        maxRefusedRetries: Int = 8,
        retryBaseDelay: TimeInterval = 0.5,
        maxRetryDelay: TimeInterval = 30,
        userAgent: String = ReplicateConfiguration.defaultUserAgent,
        rateLimits: RateLimits = .service,
        logger: Logger = Logger(label: "replicate")
    ) {
        self.token = token
        self.baseURL = baseURL
        self.requestTimeout = requestTimeout
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout
        self.maxRetries = max(0, maxRetries)
        self.maxRefusedRetries = max(0, maxRefusedRetries)
        self.retryBaseDelay = retryBaseDelay
        self.maxRetryDelay = maxRetryDelay
        self.userAgent = userAgent
        self.rateLimits = rateLimits
        self.logger = logger
    }

    /// Reads the environment the way Replicate's own clients do:
    /// token from `REPLICATE_API_TOKEN`, else `REPLICATE_API_KEY`; base from `REPLICATE_URL`
    /// (a full base ending in `/v1`), else `REPLICATE_BASE_URL` (a host, to which `/v1` is
    /// appended as the official Python client does), else `https://api.replicate.com/v1`.
    /// Empty values count as unset; an unparsable URL falls back to the default.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> ReplicateConfiguration {
        func value(_ key: String) -> String? {
            guard let v = env[key]?.trimmingCharacters(in: .whitespacesAndNewlines), !v.isEmpty else { return nil }
            return v
        }
        var config = ReplicateConfiguration(token: value("REPLICATE_API_TOKEN") ?? value("REPLICATE_API_KEY"))
        if let full = value("REPLICATE_URL"), let url = URL(string: full), url.scheme != nil, url.host != nil {
            config.baseURL = url
        } else if let host = value("REPLICATE_BASE_URL"), let url = baseURL(fromHost: host) {
            config.baseURL = url
        }
        return config
    }

    /// `http://127.0.0.1:8080` → `http://127.0.0.1:8080/v1`; a value already ending in `/v1` is kept.
    static func baseURL(fromHost host: String) -> URL? {
        var s = host
        while s.hasSuffix("/") { s.removeLast() }
        if !s.hasSuffix("/v1") { s += "/v1" }
        guard let url = URL(string: s), url.scheme != nil, url.host != nil else { return nil }
        return url
    }

    public var description: String {
        "ReplicateConfiguration(baseURL: \(baseURL.absoluteString), token: \(token == nil ? "none" : "set"), "
            + "requestTimeout: \(requestTimeout)s, maxRetries: \(maxRetries), userAgent: \(userAgent))"
    }
}
