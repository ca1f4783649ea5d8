import Foundation

/// How work that blocks its caller's thread learns that the caller must stop — Ctrl-C, a
/// script's time or instruction limit. The Lua host makes one for a call it runs in place
/// (`HostWork.inPlace`), and the client asks it while a request sent in place waits on the
/// network and between retries, on the calling thread. The one stop check both sides share.
public struct StopCheck {
    /// True when the caller must give up now.
    public var shouldStop: () -> Bool
    /// Seconds until the caller's own deadline, nil for none: no exchange is given longer.
    public var secondsLeft: () -> Double?

    public init(shouldStop: @escaping () -> Bool, secondsLeft: @escaping () -> Double?) {
        self.shouldStop = shouldStop
        self.secondsLeft = secondsLeft
    }

    /// A check that never says stop (for callers without limits, and tests).
    public static var never: StopCheck { StopCheck(shouldStop: { false }, secondsLeft: { nil }) }

    /// Blocks for `seconds` (clamped to 0...9e9; NaN waits not at all), giving up with `Stopped`
    /// as soon as `shouldStop` says so — checked every 50 ms.
    public func sleep(_ seconds: TimeInterval) throws {
        let end = Date().addingTimeInterval(min(max(0, seconds.isNaN ? 0 : seconds), 9e9))
        while true {
            if shouldStop() { throw Stopped() }
            let left = end.timeIntervalSinceNow
            if left <= 0 { return }
            usleep(useconds_t(min(left, 0.05) * 1_000_000))
        }
    }
}

/// Thrown by work that a `StopCheck` ended (its check said stop, or its deadline came); the
/// caller knows why.
public struct Stopped: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "the call was stopped" }
}
