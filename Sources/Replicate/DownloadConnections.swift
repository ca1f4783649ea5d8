import AsyncHTTPClient
import Foundation

/// The connection pools downloads use: like the transport's, except that redirects come back
/// as responses instead of being followed, so `ReplicateClient.download` checks every hop's
/// host (`DownloadHosts`) and decides per hop whether the token goes along, before anything is
/// sent there. One pool per (connect, read) timeout pair, made on first use and never shut down,
/// as the transport's are.
enum DownloadConnections {
    /// Redirects followed at most, as the transport's pools do.
    static let maxRedirects = 5

    private static let lock = NSLock()
    // Guarded by `lock`.
    nonisolated(unsafe) private static var pools: [String: HTTPClient] = [:]

    static func pool(connect: TimeInterval, read: TimeInterval) -> HTTPClient {
        lock.lock()
        defer { lock.unlock() }
        let key = "\(connect)/\(read)"
        if let pool = pools[key] { return pool }
        var config = HTTPClient.Configuration()
        config.timeout = .init(connect: .milliseconds(Int64(connect * 1000)), read: .milliseconds(Int64(read * 1000)))
        config.redirectConfiguration = .disallow
        // As in the transport: scripts fan out, and `RetryPolicy` retries failed connects.
        config.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 128
        config.connectionPool.retryConnectionEstablishment = false
        let pool = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: config)
        pools[key] = pool
        return pool
    }
}
