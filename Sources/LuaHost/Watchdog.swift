import CLuaBridge
import Foundation

/// Ends the process when Lua is stuck inside one C function (a pathological pattern match,
/// say) past its deadline, where the count hook cannot run (docs/architecture.md, rule 6).
public enum Watchdog {
    /// Grace after the deadline before the process is ended: the hook gets the first chance.
    public static let graceSeconds = 0.2

    /// Arms the watchdog for `vm`'s current deadline. When it fires it writes `message` to file
    /// descriptor `fd` and exits the process with status `exitCode` (1 for the CLI).
    public static func arm(for vm: LuaVM, message: String, fd: Int32 = 2) {
        guard let deadline = vm.deadlineNanos else { return }
        arm(deadline: deadline, message: message, fd: fd)
    }

    /// Arms the watchdog for an absolute CLOCK_MONOTONIC `deadline` in nanoseconds.
    static func arm(deadline: UInt64, message: String, fd: Int32) {
        let bytes = Array(message.utf8)
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: bytes.count + 8 + 1)
        // Layout: fd (Int32), length (UInt32), bytes.
        buffer.withMemoryRebound(to: Int32.self, capacity: 2) { header in
            header[0] = fd
            header[1] = Int32(bytes.count)
        }
        (buffer + 8).update(from: bytes, count: bytes.count)
        let rc = kl_watchdog_start(deadline + UInt64(graceSeconds * 1e9), { context in
            guard let context else { return }
            let header = context.assumingMemoryBound(to: Int32.self)
            let fd = header[0]
            var remaining = Int(header[1])
            var p = UnsafeRawPointer(context + 8)
            while remaining > 0 {
                let n = write(fd, p, remaining)
                if n <= 0 { break }
                remaining -= n
                p += n
            }
        }, UnsafeMutableRawPointer(buffer))
        if rc != 0 { buffer.deallocate() }
    }

    /// Disarms the watchdog once the run is over.
    public static func disarm() {
        kl_watchdog_stop()
    }
}
