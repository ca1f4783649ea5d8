import Foundation
import NIOConcurrencyHelpers

/// Fixed one-minute windows per token and class (creates vs everything else), like the
/// documented limits: 600 prediction creates and 3000 other requests per minute.
final class RateLimiter: Sendable {
    struct Window { var start: Date; var count: Int }
    private let windows = NIOLockedValueBox<[String: Window]>([:])
    let createsPerMinute: Int
    let otherPerMinute: Int

    init(createsPerMinute: Int, otherPerMinute: Int) {
        self.createsPerMinute = createsPerMinute
        self.otherPerMinute = otherPerMinute
    }

    /// nil when allowed, else seconds until the window resets.
    func check(token: String, isCreate: Bool, now: Date = Date()) -> Int? {
        let limit = isCreate ? createsPerMinute : otherPerMinute
        if limit <= 0 { return nil }
        let key = (isCreate ? "c:" : "o:") + token
        return windows.withLockedValue { w -> Int? in
            var win = w[key] ?? Window(start: now, count: 0)
            if now.timeIntervalSince(win.start) >= 60 { win = Window(start: now, count: 0) }
            win.count += 1
            w[key] = win
            if win.count > limit {
                return max(1, Int((60 - now.timeIntervalSince(win.start)).rounded(.up)))
            }
            return nil
        }
    }
}
