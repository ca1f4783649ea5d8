import CLuaBridge
import Foundation

/// Ends the process when Lua is stuck inside one C function (a pathological pattern match,
/// say) past its deadline, where the count hook cannot run (docs/architecture.md, rule 6).
public enum Watchdog {
    /// Grace after the deadline before the process is ended: the hook gets the first chance.
    public static let graceSeconds = 0.2

    /// Arms the watchdog for `vm`'s current deadline. When it fires it writes `message` to file
    /// descriptor `fd` and exits the process with status 1.
    public static func arm(for vm: LuaVM, message: String, fd: Int32 = 2) {
        guard let deadline = vm.deadlineNanos else { return }
        arm(deadline: deadline, message: message, fd: fd)
    }

    /// Arms the watchdog for an absolute CLOCK_MONOTONIC `deadline` in nanoseconds; the C side
    /// keeps its own copy of `message` and frees it when the watchdog retires.
    static func arm(deadline: UInt64, message: String, fd: Int32) {
        var message = message
        _ = message.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) {
                kl_watchdog_start(deadline + UInt64(graceSeconds * 1e9), fd, $0.baseAddress, $0.count)
            }
        }
    }

    /// What the watchdog does before it ends the process, on its own thread while the VM's is
    /// stuck: returns the text to write instead of the prepared message (an `exec` envelope that
    /// names what the run created, after settling it), or nil for the prepared message. It must
    /// not touch the VM.
    public static func setLastWords(_ words: (@Sendable () -> String?)?) {
        lastWordsLock.withLock { lastWords = words }
        kl_watchdog_set_last_words(words == nil ? nil : speakLastWords)
    }

    /// What the C watchdog calls: writes the host's last words to `fd`; 1 when there were any.
    private static let speakLastWords: @convention(c) (Int32) -> Int32 = { fd in
        guard let text = Watchdog.lastWordsLock.withLock({ Watchdog.lastWords })?() else { return 0 }
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return write(fd, base + offset, buffer.count - offset)
            }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { break }
            offset += n
        }
        return 1
    }

    private static let lastWordsLock = NSLock()
    nonisolated(unsafe) private static var lastWords: (@Sendable () -> String?)?

    /// Disarms the watchdog once the run is over.
    public static func disarm() {
        kl_watchdog_stop()
    }
}
