import Foundation
import KosmoCommandLine
import Replicate
import ReplicateLua

/// The line protocol on which an `exec` child tells the MCP server that started it what its
/// waiting calls are doing (`--progress-fd N`), so the server can send the client
/// `notifications/progress`. One JSON object per line, one way, child to server:
/// `{"event": "started", "call": 1, "label": "sim/slow"}`,
/// `{"event": "status", "call": 1, "status": "processing", "percent": 40, "log": "step 4/10"}`,
/// `{"event": "finished", "call": 1}`.
public enum ProgressChannel {
    /// What happened to one waiting call.
    public enum Event: Sendable, Equatable {
        case started(call: Int, label: String)
        /// Its latest status; `percent` is the last one its logs show (the progress line's
        /// reading, `ProgressLine.lastPercent`), `log` their last line.
        case status(call: Int, status: String, percent: Int?, log: String?)
        case finished(call: Int)

        /// The event as one line (without its newline).
        public var line: String {
            var object: [String: JSONValue]
            switch self {
            case .started(let call, let label):
                object = ["event": "started", "call": .int(Int64(call)), "label": .string(label)]
            case .status(let call, let status, let percent, let log):
                object = ["event": "status", "call": .int(Int64(call)), "status": .string(status)]
                if let percent { object["percent"] = .int(Int64(percent)) }
                if let log { object["log"] = .string(log) }
            case .finished(let call):
                object = ["event": "finished", "call": .int(Int64(call))]
            }
            return (try? JSONValue.object(object).encodedString()) ?? "{}"
        }

        /// Reads an event line; nil when it is not one. Numbers are range-checked: a call
        /// number is positive and below 2^31, a percentage 0 to 100.
        public init?(line: String) {
            guard let json = try? JSONValue(parsing: line), let event = json["event"]?.stringValue,
                  let call = json["call"]?.intValue, call > 0, call < Int64(Int32.max) else { return nil }
            let id = Int(call)
            switch event {
            case "started":
                guard let label = json["label"]?.stringValue else { return nil }
                self = .started(call: id, label: label)
            case "status":
                guard let status = json["status"]?.stringValue else { return nil }
                let percent = json["percent"]?.intValue.flatMap { (0...100).contains($0) ? Int($0) : nil }
                self = .status(call: id, status: status, percent: percent, log: json["log"]?.stringValue)
            case "finished":
                self = .finished(call: id)
            default:
                return nil
            }
        }
    }

    /// Most characters of a log line sent on: a line longer than this is cut.
    public static let maxLogCharacters = 300

    /// The last line of a model's logs that is not blank (a progress bar's `\r` redraws count
    /// as line breaks), at most `maxLogCharacters`.
    public static func lastLine(of logs: String) -> String? {
        let lines = logs.split(whereSeparator: { $0 == "\n" || $0 == "\r" })
        guard let last = lines.last(where: { !$0.allSatisfy(\.isWhitespace) }) else { return nil }
        let text = last.trimmingCharacters(in: .whitespaces)
        return text.count > maxLogCharacters ? String(text.prefix(maxLogCharacters)) + "…" : text
    }
}

/// The child's side: a `ProgressReporter` that writes each change of a waiting call to the
/// progress socket. Only changes are written (a poll that saw the same status and logs writes
/// nothing); the server decides how often to notify the client.
public final class ProgressChannelReporter: ProgressReporter, @unchecked Sendable {
    private let fd: Int32
    private let lock = NSLock()
    private var nextID = 1
    private var last: [Int: ProgressChannel.Event] = [:]
    /// Set once a write failed: the server went away, so nothing more is written.
    private var broken = false

    public init(fd: Int32) {
        self.fd = fd
        // The socket must not leak into anything this process might start.
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    }

    public func begin(_ label: String) -> Int {
        lock.lock()
        defer { lock.unlock() }
        let id = nextID
        nextID += 1
        write(.started(call: id, label: label))
        return id
    }

    public func update(_ id: Int, status: String, logs: String?) {
        let event = ProgressChannel.Event.status(call: id, status: status, percent: logs.flatMap(ProgressLine.lastPercent(in:)),
                                                 log: logs.flatMap(ProgressChannel.lastLine(of:)))
        lock.lock()
        defer { lock.unlock() }
        guard last[id] != event else { return }
        last[id] = event
        write(event)
    }

    public func end(_ id: Int) {
        lock.lock()
        defer { lock.unlock() }
        last[id] = nil
        write(.finished(call: id))
    }

    /// Nothing is drawn here, so there is nothing to step aside from.
    public func clear() {}

    /// Writes one event; called with the lock held, so lines never interleave.
    private func write(_ event: ProgressChannel.Event) {
        guard !broken else { return }
        // send with MSG_NOSIGNAL: a server that went away is an error here, not SIGPIPE.
        let bytes = Array((event.line + "\n").utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { chunk in Glibc.send(fd, chunk.baseAddress, chunk.count, Int32(MSG_NOSIGNAL)) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { broken = true; return }
            offset += n
        }
    }
}
