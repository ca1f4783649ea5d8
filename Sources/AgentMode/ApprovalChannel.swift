import Foundation
import Replicate
import ReplicateLua

/// The line protocol between an `exec` child and the `mcp` server that started it, over a
/// socket the child inherits (`--approval-fd N`): `ask` in the child becomes an elicitation in
/// the server, which talks to the MCP client.
///
/// The child writes one JSON object per question, `{"function":…,"access":…,"arguments":…}`,
/// and reads one line back: `yes`, `no`, `always`, `all-writes`, or `unavailable REASON`.
///
/// The child also writes a notice, never answered, for each prediction or training it creates,
/// `{"created":ID,"kind":"prediction","function":"run"}`, so that a child the server has to end (its hard
/// deadline, the client's cancellation) leaves nothing running that the server does not know of.
public enum ApprovalChannel {
    /// A question, as the child sends it: the approval request itself.
    public typealias Question = ApprovalRequest

    /// Orders whole lines on the socket: a question and a notice from another thread never interleave.
    static let writeLock = NSLock()

    /// Reads a notice of a created prediction or training; nil when the line is not one.
    public static func created(from line: String) -> CreatedNotice? {
        guard let json = try? JSONValue(parsing: line), let id = json["created"]?.stringValue, !id.isEmpty,
              let kind = json["kind"]?.stringValue.flatMap(CreatedRun.init(rawValue:)) else { return nil }
        return CreatedNotice(id: id, kind: kind, function: json["function"]?.stringValue ?? "create_\(kind.rawValue)")
    }

    /// Tells the server on `fd` what was created (best effort: a server gone away is not this
    /// run's failure).
    public static func tell(_ created: CreatedNotice, fd: Int32) {
        let notice: JSONValue = .object(["created": .string(created.id), "kind": .string(created.kind.rawValue), "function": .string(created.function)])
        guard let text = try? notice.encodedString() else { return }
        writeLock.withLock { _ = FileDescriptorIO.writeAll(fd, Array((text + "\n").utf8)) }
    }

    /// An answer as one line (without its newline).
    public static func line(for answer: ApprovalAnswer) -> String {
        switch answer {
        case .yes: return "yes"
        case .no: return "no"
        case .alwaysThisFunction: return "always"
        case .allWrites: return "all-writes"
        case .unavailable(let reason): return "unavailable " + reason.replacingOccurrences(of: "\n", with: " ")
        }
    }

    /// Reads an answer line; anything unrecognised is a refusal.
    public static func answer(from line: String) -> ApprovalAnswer {
        let text = line.trimmingCharacters(in: .whitespacesAndNewlines)
        switch text {
        case "yes": return .yes
        case "always": return .alwaysThisFunction
        case "all-writes": return .allWrites
        case "no": return .no
        default:
            if text.hasPrefix("unavailable ") { return .unavailable(String(text.dropFirst("unavailable ".count))) }
            return .no
        }
    }
}

extension ApprovalRequest {
    /// The question as one line (without its newline).
    public var line: String {
        let object: JSONValue = .object(["function": .string(function), "access": .string(access.rawValue), "arguments": .string(arguments)])
        return (try? object.encodedString()) ?? "{}"
    }

    /// Reads a question line; nil when it is not one (also when its access is neither
    /// `read` nor `write`: a question the server cannot put is refused).
    public init?(line: String) {
        guard let json = try? JSONValue(parsing: line), let function = json["function"]?.stringValue,
              let access = json["access"]?.stringValue.flatMap(Access.init(rawValue:)) else { return nil }
        self.init(function: function, access: access, arguments: json["arguments"]?.stringValue ?? "")
    }
}

/// The child's side: asks the MCP server over the inherited socket and waits for its answer.
/// Blocking is right here: the approver runs on the VM thread, which waits for the answer anyway.
public final class SocketApprover: Approver, @unchecked Sendable {
    private let fd: Int32
    private let lock = NSLock()

    public init(fd: Int32) {
        self.fd = fd
        // The socket must not leak into anything this process might start.
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    }

    public func approve(_ request: ApprovalRequest) -> ApprovalAnswer {
        lock.lock()
        defer { lock.unlock() }
        let sent = ApprovalChannel.writeLock.withLock { FileDescriptorIO.writeAll(fd, Array((request.line + "\n").utf8)) }
        guard sent else {
            return .unavailable("the MCP server that started this run cannot be reached")
        }
        guard let line = FileDescriptorIO.readLine(fd) else {
            return .unavailable("the MCP server that started this run went away")
        }
        return ApprovalChannel.answer(from: line)
    }
}

/// Small blocking reads and writes on a file descriptor, retrying on EINTR.
public enum FileDescriptorIO {
    /// Writes every byte; false when the other end is gone.
    @discardableResult
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { chunk in
                chunk.baseAddress.map { write(fd, $0, chunk.count) } ?? 0
            }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    /// Bytes of a line kept; the protocol's lines are a few hundred bytes (a question's
    /// arguments are a shortened summary), so a longer one is not a question or an answer.
    public static let maxLineBytes = 64 << 10

    /// One line (without its newline), read a byte at a time so nothing past it is consumed;
    /// nil at end of file before any byte. Bytes past `maxBytes` are read and dropped, so a
    /// peer cannot grow this process's memory; the cut line then parses as nothing.
    public static func readLine(_ fd: Int32, maxBytes: Int = maxLineBytes) -> String? {
        var line: [UInt8] = []
        var byte: UInt8 = 0
        var sawAny = false
        while true {
            let n = read(fd, &byte, 1)
            if n < 0, errno == EINTR { continue }
            if n <= 0 { return sawAny ? String(decoding: line, as: UTF8.self) : nil }
            sawAny = true
            if byte == UInt8(ascii: "\n") { return String(decoding: line, as: UTF8.self) }
            if line.count < maxBytes { line.append(byte) }
        }
    }

    /// Everything until end of file.
    public static func readAll(_ fd: Int32) -> [UInt8] {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n < 0, errno == EINTR { continue }
            if n <= 0 { return data }
            data.append(contentsOf: buffer[0..<n])
        }
    }
}
