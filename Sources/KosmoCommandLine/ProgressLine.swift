import Foundation
import ReplicateLua

/// The one status line shown on a terminal's stderr while `run`, `wait` or `stream` waits:
/// spinner, model, status, elapsed time and a percentage when the logs show one. It is
/// redrawn by its own thread (never a Swift concurrency thread) and cleared when nothing waits.
/// The command line gives it to a `ReplicateSession` as the session's `ProgressReporter`.
public final class ProgressLine: ProgressReporter, @unchecked Sendable {
    private struct Item {
        let label: String
        let started: Date
        var status = "starting"
        var percent: Int?
    }

    private let lock = NSLock()
    private var items: [Int: Item] = [:]
    private var order: [Int] = []
    private var nextID = 1
    private var frame = 0
    private var shown = false
    private var drawing = false
    private let write: @Sendable (String) -> Void
    private static let spinner = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]

    /// - Parameter write: where the line goes (stderr).
    init(write: @escaping @Sendable (String) -> Void) {
        self.write = write
    }

    /// A progress line on stderr when it is a terminal and `quiet` is off; otherwise nil.
    public static func forStandardError(quiet: Bool) -> ProgressLine? {
        guard !quiet, isatty(2) != 0 else { return nil }
        return ProgressLine { text in FileHandle.standardError.write(Data(text.utf8)) }
    }

    /// Starts showing one waiting call; returns its id for `update` and `end`.
    public func begin(_ label: String) -> Int {
        lock.lock()
        let id = nextID
        nextID += 1
        items[id] = Item(label: label, started: Date())
        order.append(id)
        let startThread = !drawing
        drawing = true
        lock.unlock()
        if startThread {
            let thread = Thread { [self] in drawLoop() }
            thread.name = "kosmo-lua progress"
            thread.start()
        }
        return id
    }

    public func update(_ id: Int, status: String, logs: String?) {
        lock.lock()
        items[id]?.status = status
        if let logs, let percent = Self.lastPercent(in: logs) { items[id]?.percent = percent }
        lock.unlock()
    }

    public func end(_ id: Int) {
        lock.lock()
        defer { lock.unlock() }
        items[id] = nil
        order.removeAll { $0 == id }
        // Cleared now, not at the next tick: the script prints its result right after.
        if order.isEmpty, shown {
            write("\r\u{1B}[2K")
            shown = false
        }
    }

    /// Clears the line so other text (a prompt, a trace line) starts at column 0; the next
    /// tick draws it again.
    public func clear() {
        lock.lock()
        defer { lock.unlock() }
        if shown {
            write("\r\u{1B}[2K")
            shown = false
        }
    }

    private func drawLoop() {
        while true {
            lock.lock()
            guard let first = order.first, let item = items[first] else {
                if shown { write("\r\u{1B}[2K") }
                shown = false
                drawing = false
                lock.unlock()
                return
            }
            frame += 1
            var text = "\(Self.spinner[frame % Self.spinner.count]) \(item.label) · \(item.status) · "
            text += String(format: "%.1fs", Date().timeIntervalSince(item.started))
            if let percent = item.percent { text += " · \(percent)%" }
            if order.count > 1 { text += " (+\(order.count - 1) more)" }
            write("\r\u{1B}[2K" + text)
            shown = true
            lock.unlock()
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    /// The last `NN%` in a model's logs (tqdm-style progress bars print them); the MCP
    /// server's progress notifications read it too (`ProgressChannel`).
    public static func lastPercent(in logs: String) -> Int? {
        var result: Int?
        var digits = ""
        for ch in logs {
            if ch.isASCII && ch.isNumber {
                digits.append(ch)
            } else {
                if ch == "%", let n = Int(digits), (0...100).contains(n) { result = n }
                digits = ""
            }
        }
        return result
    }
}
