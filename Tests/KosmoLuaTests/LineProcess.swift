import Foundation

/// A child process spoken to line by line over its standard input and output (an MCP server,
/// or a simulator whose first line is its URL). Blocking: use it from a thread of its own.
final class LineProcess: @unchecked Sendable {
    let pid: pid_t
    private let input: Int32
    private let output: Int32
    private var pending: [UInt8] = []

    init(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws {
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { _, new in new }
        var inFDs: [Int32] = [0, 0], outFDs: [Int32] = [0, 0]
        guard pipe(&inFDs) == 0, pipe(&outFDs) == 0 else { throw NSError(domain: "pipe", code: Int(errno)) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inFDs[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outFDs[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        for fd in inFDs + outFDs { posix_spawn_file_actions_addclose(&actions, fd) }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { argv.forEach { free($0) }; envp.forEach { free($0) } }
        var pid: pid_t = 0
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        cleanSignals(&attributes)
        let rc = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        Foundation.close(inFDs[0]); Foundation.close(outFDs[1])
        guard rc == 0 else { throw NSError(domain: "posix_spawn \(executable)", code: Int(rc)) }
        self.pid = pid
        self.input = inFDs[1]
        self.output = outFDs[0]
    }

    func send(_ line: Data) {
        var data = line
        data.append(UInt8(ascii: "\n"))
        _ = data.withUnsafeBytes { write(input, $0.baseAddress, $0.count) }
    }

    /// The next line (without its newline), or nil at end of output or after `timeout` seconds.
    func line(timeout: Double) -> [UInt8]? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(pending[..<newline])
                pending.removeSubrange(...newline)
                return line
            }
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { return nil }
            var descriptor = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, Int32(left * 1000)) > 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 65536)
            let n = read(output, &buffer, buffer.count)
            if n <= 0 { return nil }
            pending.append(contentsOf: buffer[0..<n])
        }
    }

    /// Closes standard input and waits for the process to exit (killing it after `timeout`);
    /// returns its exit status, nil when it had to be killed.
    @discardableResult
    func close(timeout: Double = 10) -> Int32? {
        Foundation.close(input)
        let deadline = Date().addingTimeInterval(timeout)
        var status: Int32 = 0
        defer { Foundation.close(output) }
        while Date() < deadline {
            if waitpid(pid, &status, WNOHANG) == pid { return (status >> 8) & 0xFF }
            usleep(10_000)
        }
        kill(pid, SIGKILL)
        waitpid(pid, &status, 0)
        return nil
    }

    /// Ends the process now.
    func stop() {
        kill(pid, SIGKILL)
        close(timeout: 5)
    }
}
