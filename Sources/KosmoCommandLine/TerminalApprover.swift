import Foundation
import ReplicateLua

/// Deno-style prompt on the controlling terminal (`/dev/tty`), so a script whose standard
/// input and output are pipes can still be approved by the person at the keyboard.
public struct TerminalApprover: Approver {
    /// Called before the prompt is written, so a progress line can step aside.
    let beforePrompt: @Sendable () -> Void

    public init(beforePrompt: @escaping @Sendable () -> Void = {}) {
        self.beforePrompt = beforePrompt
    }

    public func approve(_ request: ApprovalRequest) -> ApprovalAnswer {
        let fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else { return .unavailable("there is no terminal to ask on") }
        defer { close(fd) }
        beforePrompt()
        let question = PromptText.question(function: request.function, access: request.access, arguments: request.arguments) + "\n"
        let choices = "  [y]es / [n]o / [a]lways \(PromptText.escaped(request.function)) / all [w]rites > "
        send(fd, question)
        for _ in 0..<3 {
            send(fd, choices)
            guard let line = readLine(fd) else { send(fd, "\n"); return .no }
            switch line.trimmingCharacters(in: .whitespaces).lowercased() {
            case "y", "yes": return .yes
            case "n", "no": return .no
            case "a", "always": return .alwaysThisFunction
            case "w", "all", "all writes": return .allWrites
            default: send(fd, "  please answer y, n, a or w\n")
            }
        }
        return .no
    }

    private func send(_ fd: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { chunk in chunk.baseAddress.map { write(fd, $0, chunk.count) } ?? 0 }
            if n <= 0 { return }
            offset += n
        }
    }

    /// One line from the terminal, nil at end of file.
    private func readLine(_ fd: Int32) -> String? {
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let n = read(fd, &byte, 1)
            if n < 0, errno == EINTR { continue }
            if n <= 0 { return line.isEmpty ? nil : String(decoding: line, as: UTF8.self) }
            if byte == UInt8(ascii: "\n") { return String(decoding: line, as: UTF8.self) }
            if byte != UInt8(ascii: "\r") { line.append(byte) }
        }
    }
}
