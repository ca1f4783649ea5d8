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

/// `captureOutput: false` is for daemons (a tmux server): spawned with output to /dev/null and
/// reaped directly, see `spawnDetached`.
func runProcessBlocking(_ executable: String, _ arguments: [String], stdin: String? = nil,
                environment: [String: String] = [:], directory: String? = nil, timeout: Double = 20,
                captureOutput: Bool = true) throws -> ProcessResult {
    if !captureOutput { return try spawnDetached(executable, arguments) }  // tmux new-session -d
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    var env = ProcessInfo.processInfo.environment
    for key in ["LUA_INIT", "LUA_INIT_5_4", "LUA_PATH", "LUA_CPATH", "LUA_PATH_5_4", "LUA_CPATH_5_4"] { env[key] = nil }
    env.merge(environment) { _, new in new }
    process.environment = env
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let out = Pipe(), err = Pipe(), input = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = stdin == nil ? FileHandle.nullDevice : input
    let start = Date()
    try process.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try? input.fileHandleForWriting.close()
    let killer = DispatchWorkItem { if process.isRunning { process.terminate() } }
    DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: killer)
    // Read both pipes fully before waiting, so a chatty child cannot block on a full pipe.
    let group = DispatchGroup()
    nonisolated(unsafe) var outData = Data(), errData = Data()
    // Readers on threads of their own: many tests at once would exhaust GCD's thread pool and
    // then wait on each other.
    group.enter()
    Thread { outData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }.start()
    group.enter()
    Thread { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }.start()
    process.waitUntilExit()
    let seconds = Date().timeIntervalSince(start)
    group.wait()
    killer.cancel()
    return ProcessResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self), seconds: seconds)
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
    let rc = posix_spawn(&pid, executable, &fileActions, nil, argv, environ)
    guard rc == 0 else { throw NSError(domain: "spawn", code: Int(rc)) }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return ProcessResult(status: (status >> 8) & 0xFF, stdout: "", stderr: "", seconds: Date().timeIntervalSince(start))
}
