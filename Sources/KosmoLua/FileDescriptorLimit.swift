import Foundation

/// Raises the soft limit on open files toward the hard one at start-up, as Go's runtime does:
/// a fan-out keeps a connection open per sync-mode create in flight (hundreds under the
/// service's limits), and the simulator one per client connection, where a common soft limit
/// of 1,024 would fail connects half way through a batch.
enum FileDescriptorLimit {
    /// The most asked for: enough for any batch the rate limits allow, far below any hard limit
    /// that is not unlimited.
    static let wanted: rlim_t = 65_536

    static func raise() {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < wanted else { return }
        limit.rlim_cur = min(limit.rlim_max, wanted)
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
}
