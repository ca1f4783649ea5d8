import Foundation

/// What a run of a command produced.
struct ProcessResult {
    var status: Int32
    var stdout: String
    var stderr: String
    var seconds: Double
}

enum Binaries {
    /// The `kosmo-lua` built beside this test bundle (`swift build` puts both in one folder),
    /// or `KOSMO_LUA_BIN` when set.
    static var kosmo: String {
        if let path = ProcessInfo.processInfo.environment["KOSMO_LUA_BIN"] { return path }
        let bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let besideBundle = bundleDirectory.appendingPathComponent("kosmo-lua").path
        if FileManager.default.isExecutableFile(atPath: besideBundle) { return besideBundle }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/kosmo-lua").path
    }

    static let lua = "/usr/bin/lua5.4"
}

/// The sanitizer the binaries under test were built with (`make sanitize` sets
/// `KOSMO_SANITIZER`), if any.
enum Sanitizer {
    static var name: String? { ProcessInfo.processInfo.environment["KOSMO_SANITIZER"] }
    /// Whether a process's peak memory says anything about its own: sanitizers map shadow
    /// memory (and AddressSanitizer keeps freed memory in quarantine), so under one a memory
    /// bound is not checked.
    static var boundsMemory: Bool { name == nil }
}

/// Runs `executable` with `arguments`, feeding `stdin`, killing it after `timeout` seconds.
/// Waits on a thread of its own: blocking a cooperative thread would starve the other tests'
/// async work (two cores, two cooperative threads).
func runProcess(_ executable: String, _ arguments: [String], stdin: String? = nil,
                environment: [String: String] = [:], directory: String? = nil, timeout: Double = 20,
                captureOutput: Bool = true) async throws -> ProcessResult {
    try await withCheckedThrowingContinuation { continuation in
        Thread {
            continuation.resume(with: Result {
                try runProcessBlocking(executable, arguments, stdin: stdin, environment: environment, directory: directory,
                                       timeout: timeout, captureOutput: captureOutput)
            })
        }.start()
    }
}

/// `captureOutput: false` is for daemons (a tmux server): spawned with output to /dev/null.
/// posix_spawn and waitpid rather than Foundation's Process, which on Linux sometimes never
/// noticed a child exit when many tests ran at once (the test then hung on a zombie).
func runProcessBlocking(_ executable: String, _ arguments: [String], stdin: String? = nil,
                environment: [String: String] = [:], directory: String? = nil, timeout: Double = 20,
                captureOutput: Bool = true) throws -> ProcessResult {
    if !captureOutput { return try spawnDetached(executable, arguments) }  // tmux new-session -d
    var env = ProcessInfo.processInfo.environment
    for key in ["LUA_INIT", "LUA_INIT_5_4", "LUA_PATH", "LUA_CPATH", "LUA_PATH_5_4", "LUA_CPATH_5_4"] { env[key] = nil }
    env.merge(environment) { _, new in new }
    var outFDs: [Int32] = [0, 0], errFDs: [Int32] = [0, 0], inFDs: [Int32] = [0, 0]
    guard pipe(&outFDs) == 0, pipe(&errFDs) == 0, pipe(&inFDs) == 0 else { throw NSError(domain: "pipe", code: Int(errno)) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, inFDs[0], 0)
    posix_spawn_file_actions_adddup2(&actions, outFDs[1], 1)
    posix_spawn_file_actions_adddup2(&actions, errFDs[1], 2)
    for fd in inFDs + outFDs + errFDs { posix_spawn_file_actions_addclose(&actions, fd) }
    // GNU env's --chdir stands in for posix_spawn_file_actions_addchdir_np, which Swift cannot see.
    let command = directory.map { ["/usr/bin/env", "--chdir=\($0)", executable] } ?? [executable]
    let argv = (command + arguments).map { strdup($0) } + [nil]
    let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { argv.forEach { free($0) }; envp.forEach { free($0) } }
    // A session of its own: the child has no controlling terminal, so a prompt on /dev/tty can
    // never reach (or wait for) the terminal the tests were started from.
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    cleanSignals(&attributes, flags: 0x80)  // POSIX_SPAWN_SETSID (glibc), not imported into Swift
    var pid: pid_t = 0
    let start = Date()
    let rc = posix_spawn(&pid, command[0], &actions, &attributes, argv, envp)
    close(inFDs[0]); close(outFDs[1]); close(errFDs[1])
    guard rc == 0 else {
        close(inFDs[1]); close(outFDs[0]); close(errFDs[0])
        throw NSError(domain: "posix_spawn \(executable)", code: Int(rc))
    }
    final class Sink: @unchecked Sendable { var data = Data() }
    let outSink = Sink(), errSink = Sink()
    let group = DispatchGroup()
    for (fd, sink) in [(outFDs[0], outSink), (errFDs[0], errSink)] {
        group.enter()
        Thread {
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = read(fd, &buffer, buffer.count)
                if n > 0 { sink.data.append(buffer, count: n) } else if n < 0 && errno == EINTR { continue } else { break }
            }
            close(fd)
            group.leave()
        }.start()
    }
    if let stdin {
        // A child may exit before it reads its input (a refused flag): the write then fails
        // with EPIPE instead of the signal ending the whole test run.
        signal(SIGPIPE, SIG_IGN)
        let bytes = Array(stdin.utf8)
        _ = bytes.withUnsafeBytes { write(inFDs[1], $0.baseAddress, $0.count) }
    }
    close(inFDs[1])
    var status: Int32 = 0
    while true {
        let r = waitpid(pid, &status, WNOHANG)
        if r == pid || (r < 0 && errno != EINTR) { break }
        if Date().timeIntervalSince(start) > timeout { kill(pid, SIGKILL) }
        usleep(2000)
    }
    let seconds = Date().timeIntervalSince(start)
    group.wait()
    let exited = status & 0x7F == 0
    return ProcessResult(status: exited ? (status >> 8) & 0xFF : 128 + (status & 0x7F),
                         stdout: String(decoding: outSink.data, as: UTF8.self),
                         stderr: String(decoding: errSink.data, as: UTF8.self), seconds: seconds)
}

func kosmo(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:],
           directory: String? = nil, timeout: Double = 20) async throws -> ProcessResult {
    try await runProcess(Binaries.kosmo, arguments, stdin: stdin, environment: environment, directory: directory, timeout: timeout)
}

/// A fresh temporary directory for one test.
func temporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "kosmo-test-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func write(_ text: String, to path: String) throws {
    try text.write(toFile: path, atomically: true, encoding: .utf8)
}

/// Starts a daemonising command (`tmux new-session -d`) with posix_spawn and reaps it with
/// waitpid: Foundation's Process never noticed the tmux client exiting, so waiting hung.
func spawnDetached(_ executable: String, _ arguments: [String]) throws -> ProcessResult {
    let start = Date()
    var fileActions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&fileActions)
    defer { posix_spawn_file_actions_destroy(&fileActions) }
    for fd in Int32(0)...2 { posix_spawn_file_actions_addopen(&fileActions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0) }
    let argv = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    cleanSignals(&attributes)
    let rc = posix_spawn(&pid, executable, &fileActions, &attributes, argv, environ)
    guard rc == 0 else { throw NSError(domain: "spawn", code: Int(rc)) }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return ProcessResult(status: (status >> 8) & 0xFF, stdout: "", stderr: "", seconds: Date().timeIntervalSince(start))
}

/// Children start with no signal blocked and every signal at its default action. Threads of
/// the test process (Swift concurrency's, NIO's) block most signals, and posix_spawn passes the
/// spawning thread's mask on: a REPL started that way under tmux never got the SIGHUP of
/// `tmux kill-server`, so neither it nor its tmux server ever exited.
func cleanSignals(_ attributes: inout posix_spawnattr_t, flags: Int32 = 0) {
    var none = sigset_t(), all = sigset_t()
    sigemptyset(&none)
    sigfillset(&all)
    posix_spawnattr_setsigmask(&attributes, &none)
    posix_spawnattr_setsigdefault(&attributes, &all)
    // POSIX_SPAWN_SETSIGDEF (0x04) | POSIX_SPAWN_SETSIGMASK (0x08), plus the caller's.
    posix_spawnattr_setflags(&attributes, Int16(flags | 0x04 | 0x08))
}

