import Foundation
import Logging
import MCP

/// MCP over standard input and output: one JSON-RPC message per line.
///
/// In place of the SDK's `StdioTransport` (0.12.1), which polls a non-blocking standard input
/// every 10 ms (a call waits up to that long before it is even read) and keeps each line it
/// has read in a `Data` it re-slices and appends to, so a session's memory grew with all its
/// input (a long soak: about 470 bytes per `execute_lua`). Here a thread of its own blocks on
/// `read` and only the unfinished line is kept between reads.
///
/// A line may have at most `maxLineBytes`: the rest of a longer one is read and dropped without
/// being kept, and the line is answered with an Invalid Request error. Every line that fits goes
/// through `MessageGate`, which answers what the SDK could not decode.
actor LineTransport: Transport {
    /// Most bytes one message may have, its newline not counted: 4 MiB.
    static let maxLineBytes = 4 << 20

    nonisolated let logger = Logger(label: "kosmo-lua.mcp.stdio", factory: { _ in SwiftLogNoOpLogHandler() })
    private let input: Int32
    private let writer: LineWriter
    private let messages: AsyncThrowingStream<Data, any Error>
    private let continuation: AsyncThrowingStream<Data, any Error>.Continuation
    private var reading = false
    /// The stateless protocol revision's requests and results (`ProtocolEras`).
    private let eras: ProtocolEras

    /// The standard output could not be written (the client went away).
    struct WriteError: Error, CustomStringConvertible {
        let code: Int32
        var description: String { "cannot write to the MCP client: \(String(cString: strerror(code)))" }
    }

    init(input: Int32 = STDIN_FILENO, output: Int32 = STDOUT_FILENO, eras: ProtocolEras = ProtocolEras()) {
        self.input = input
        self.eras = eras
        writer = LineWriter(fd: output)
        (messages, continuation) = AsyncThrowingStream.makeStream()
    }

    func connect() async throws {
        guard !reading else { return }
        reading = true
        let input = self.input, continuation = self.continuation, writer = self.writer, eras = self.eras
        Thread { LineTransport.readLines(from: input, into: continuation, answering: writer, eras: eras) }.start()
    }

    func disconnect() async {
        continuation.finish()
    }

    func send(_ data: Data) async throws {
        try writer.writeLine(eras.outbound(data))
    }

    func receive() -> AsyncThrowingStream<Data, any Error> {
        messages
    }

    /// Reads until the end of input, handing each line that is not blank to `MessageGate`.
    static func readLines(from fd: Int32, into continuation: AsyncThrowingStream<Data, any Error>.Continuation,
                          answering writer: LineWriter, eras: ProtocolEras) {
        /// The unfinished line, never longer than `maxLineBytes`.
        var pending: [UInt8] = []
        /// Bytes of an oversize line dropped so far; nil when not inside one.
        var dropped: Int?
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)

        func finish(_ line: ArraySlice<UInt8>) {
            guard line.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }) else { return }
            switch MessageGate.check(line) {
            case .forward:
                switch eras.inbound(line) {
                case .forward: continuation.yield(Data(line))
                case .replace(let message): continuation.yield(message)
                case .answer(let answer): try? writer.writeLine(answer)
                }
            case .answer(let answer): try? writer.writeLine(answer)
            }
        }
        func refuseOversize(_ bytes: Int) {
            try? writer.writeLine(MessageGate.oversize(bytes: bytes, limit: maxLineBytes))
        }
        func clearPending() {
            // Memory a long line needed is given back, not kept for the next one.
            if pending.capacity > 1 << 20 { pending = [] } else { pending.removeAll(keepingCapacity: true) }
        }

        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN {
                    // Standard input was left non-blocking by whoever started us: wait for it.
                    var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                    _ = poll(&descriptor, 1, -1)
                    continue
                }
                break
            }
            if n == 0 { break }
            var start = 0
            while start < n {
                let newline = buffer[start..<n].firstIndex(of: UInt8(ascii: "\n"))
                let end = newline ?? n
                if let count = dropped {
                    dropped = count + (end - start)
                } else if pending.count + (end - start) > maxLineBytes {
                    dropped = pending.count + (end - start)
                    clearPending()
                } else if newline != nil, pending.isEmpty {
                    finish(buffer[start..<end])
                } else {
                    pending.append(contentsOf: buffer[start..<end])
                    if newline != nil {
                        finish(pending[...])
                        clearPending()
                    }
                }
                if newline != nil, let count = dropped {
                    refuseOversize(count)
                    dropped = nil
                }
                start = end + 1
            }
        }
        // A last line without a newline is still a message.
        if let count = dropped { refuseOversize(count) } else if !pending.isEmpty { finish(pending[...]) }
        continuation.finish()
    }
}

/// Writes whole lines to the client, one at a time: the SDK's messages and the answers the
/// reading thread gives itself share one output and must not interleave.
final class LineWriter: @unchecked Sendable {
    private let fd: Int32
    private let lock = NSLock()

    init(fd: Int32) { self.fd = fd }

    func writeLine(_ data: Data) throws {
        var bytes = [UInt8](data)
        bytes.append(UInt8(ascii: "\n"))
        try lock.withLock {
            var offset = 0
            while offset < bytes.count {
                let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
                if n < 0 {
                    if errno == EINTR || errno == EAGAIN { continue }
                    throw LineTransport.WriteError(code: errno)
                }
                offset += n
            }
        }
    }
}
