import Foundation
import Logging
import MCP

/// MCP over standard input and output: one JSON-RPC message per line.
///
/// In place of the SDK's `StdioTransport` (0.12.1), which polls a non-blocking standard input
/// every 10 ms (a call waits up to that long before it is even read) and keeps each line it
/// has read in a `Data` it re-slices and appends to, so a session's memory grew with all its
/// input (issue 7's soak: about 470 bytes per `execute_lua`). Here a thread of its own blocks on
/// `read` and only the unfinished line is kept between reads.
actor LineTransport: Transport {
    nonisolated let logger = Logger(label: "kosmo-lua.mcp.stdio", factory: { _ in SwiftLogNoOpLogHandler() })
    private let input: Int32
    private let output: Int32
    private let messages: AsyncThrowingStream<Data, any Error>
    private let continuation: AsyncThrowingStream<Data, any Error>.Continuation
    private var reading = false

    /// The standard output could not be written (the client went away).
    struct WriteError: Error, CustomStringConvertible {
        let code: Int32
        var description: String { "cannot write to the MCP client: \(String(cString: strerror(code)))" }
    }

    init(input: Int32 = STDIN_FILENO, output: Int32 = STDOUT_FILENO) {
        self.input = input
        self.output = output
        (messages, continuation) = AsyncThrowingStream.makeStream()
    }

    func connect() async throws {
        guard !reading else { return }
        reading = true
        let input = self.input, continuation = self.continuation
        Thread { LineTransport.readLines(from: input, into: continuation) }.start()
    }

    func disconnect() async {
        continuation.finish()
    }

    func send(_ data: Data) async throws {
        var bytes = [UInt8](data)
        bytes.append(UInt8(ascii: "\n"))
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(output, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw WriteError(code: errno)
            }
            offset += n
        }
    }

    func receive() -> AsyncThrowingStream<Data, any Error> {
        messages
    }

    /// Reads until the end of input, yielding each non-empty line.
    static func readLines(from fd: Int32, into continuation: AsyncThrowingStream<Data, any Error>.Continuation) {
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
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
            let searchFrom = pending.count
            pending.append(contentsOf: buffer[0..<n])
            var lineStart = 0
            var index = searchFrom
            while let newline = pending[index...].firstIndex(of: UInt8(ascii: "\n")) {
                if newline > lineStart { continuation.yield(Data(pending[lineStart..<newline])) }
                lineStart = newline + 1
                index = lineStart
            }
            if lineStart > 0 { pending.removeFirst(lineStart) }
        }
        // A last line without a newline is still a message.
        if !pending.isEmpty { continuation.yield(Data(pending)) }
        continuation.finish()
    }
}
