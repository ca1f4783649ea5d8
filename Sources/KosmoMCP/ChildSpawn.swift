import AgentMode
import Foundation
import ReplicateLua

/// A started `kosmo-lua exec` child and the server's ends of its descriptors: its standard
/// input and output, the approval socket (the child's fd 3, `--approval-fd 3`) and the
/// progress socket (its fd 4, `--progress-fd 4`). One-shot executions and session children
/// start the same way, here.
struct SpawnedChild: Sendable {
    let reaper: Reaper
    let stdin: Int32
    let stdout: Int32
    let approvals: Int32
    let progress: Int32

    /// The arguments that connect a child to these descriptors.
    static let channelArguments = ["--approval-fd", "3", "--progress-fd", "4"]

    /// Starts `executable` with `arguments`; on failure, why.
    static func start(executable: String, arguments: [String]) -> Result<SpawnedChild, SpawnFailure> {
        // Socket pairs rather than pipes: they can be made close-on-exec atomically (pipe2 is
        // not visible from Swift), and a descriptor leaking into a sibling child between
        // pipe() and fcntl() would keep this child's output open after it exits.
        var input: [Int32] = [-1, -1], output: [Int32] = [-1, -1], socket: [Int32] = [-1, -1], progress: [Int32] = [-1, -1]
        let kind = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        var made: [[Int32]] = []
        for _ in 0..<4 {
            var pair: [Int32] = [-1, -1]
            guard socketpair(AF_UNIX, kind, 0, &pair) == 0 else {
                let message = String(cString: strerror(errno))
                made.joined().forEach { close($0) }
                return .failure(SpawnFailure(message: "cannot start the execution: \(message)"))
            }
            made.append(pair)
        }
        (input, output, socket, progress) = (made[0], made[1], made[2], made[3])
        // dup2 onto the same number would keep close-on-exec set, so the child's ends are never 3 or 4.
        let childSocket = fcntl(socket[1], F_DUPFD_CLOEXEC, 10)
        close(socket[1])
        let childProgress = fcntl(progress[1], F_DUPFD_CLOEXEC, 10)
        close(progress[1])

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input[0], 0)
        posix_spawn_file_actions_adddup2(&actions, output[1], 1)
        posix_spawn_file_actions_adddup2(&actions, childSocket, 3)
        posix_spawn_file_actions_adddup2(&actions, childProgress, 4)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The child starts with no blocked signals (the server's threads may block some).
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        close(input[0]); close(output[1]); close(childSocket); close(childProgress)
        guard rc == 0 else {
            close(input[1]); close(output[0]); close(socket[0]); close(progress[0])
            return .failure(SpawnFailure(message: "cannot start \(executable): \(String(cString: strerror(rc)))"))
        }
        return .success(SpawnedChild(reaper: Reaper(pid: pid), stdin: input[1], stdout: output[0], approvals: socket[0], progress: progress[0]))
    }

    /// Answers the child's approval questions until it closes the socket, one at a time (the
    /// child's VM thread waits for each answer): the current call's `asker` answers them when a
    /// stateless client's call pauses for its retry, else the relay asks. A notice of a create is kept in `created`
    /// and never answered (the child does not wait for one). `hold` and `release` stop the
    /// child's hard deadline while a person answers; the socket is closed at the end.
    static func serveApprovals(_ fd: Int32, relay: ApprovalRelay, asker: @escaping @Sendable () -> PausedExecution? = { nil },
                               created: CreatedNotices? = nil,
                               hold: @escaping @Sendable () -> Void, release: @escaping @Sendable () -> Void) {
        while let line = FileDescriptorIO.readLine(fd) {
            if let notice = ApprovalChannel.created(from: line) {
                created?.add(notice)
                continue
            }
            let answer: ApprovalAnswer
            if let question = ApprovalChannel.Question(line: line) {
                hold()
                answer = asker()?.askBlocking(question) ?? relay.askBlocking(question)
                release()
            } else {
                answer = .no
            }
            if !FileDescriptorIO.writeAll(fd, Array((ApprovalChannel.line(for: answer) + "\n").utf8)) { break }
        }
        close(fd)
    }

    /// Reads the child's progress events until it closes the socket, handing each to the
    /// forwarder of the call it belongs to (`current`, nil when no one asked for progress).
    static func forwardProgress(_ fd: Int32, current: @escaping @Sendable () -> ProgressForwarder?) {
        while let line = FileDescriptorIO.readLine(fd) {
            guard let event = ProgressChannel.Event(line: line) else { continue }
            current()?.receive(event)
        }
        close(fd)
    }
}

/// Why a child could not be started.
struct SpawnFailure: Error, Sendable {
    let message: String
}

/// Lines from a child's standard output read in large pieces (an envelope may be megabytes;
/// a read per byte would take seconds). A line past `maxBytes` is read to its end and dropped.
final class LineReader: @unchecked Sendable {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0

    init(fd: Int32) { self.fd = fd }

    /// One line: its bytes (at most `maxBytes`) and how many past them were dropped; nil at end
    /// of input before a whole line.
    func line(maxBytes: Int) -> (bytes: [UInt8], dropped: Int)? {
        var kept: [UInt8] = []
        var dropped = 0
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            if start < buffer.count {
                let pending = buffer[start...]
                let newline = pending.firstIndex(of: UInt8(ascii: "\n"))
                let piece = pending[..<(newline ?? buffer.endIndex)]
                let room = max(0, maxBytes - kept.count)
                kept.append(contentsOf: piece.prefix(room))
                dropped += max(0, piece.count - room)
                if let newline {
                    start = newline + 1
                    return (kept, dropped)
                }
                buffer.removeAll(keepingCapacity: true)
                start = 0
            }
            let n = read(fd, &chunk, chunk.count)
            if n < 0, errno == EINTR { continue }
            if n <= 0 { return nil }
            buffer = Array(chunk[0..<n])
            start = 0
        }
    }
}
