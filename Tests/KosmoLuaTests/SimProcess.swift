import Foundation

/// `kosmo-lua sim` as a child process, as a user starts it: the first line of its stdout is the
/// base URL. Its output goes to a file the test can read after `stop()`.
final class SimProcess: @unchecked Sendable {
    let pid: pid_t
    /// `http://127.0.0.1:PORT/v1`.
    let baseURL: String
    private let outputPath: String

    private init(pid: pid_t, baseURL: String, outputPath: String) {
        self.pid = pid
        self.baseURL = baseURL
        self.outputPath = outputPath
    }

    /// `http://127.0.0.1:PORT`, for `REPLICATE_BASE_URL`.
    var origin: String { String(baseURL.dropLast(3)) }

    /// Starts `kosmo-lua sim --port 0 <arguments>` and waits (up to 20 s) for its URL.
    static func start(_ arguments: [String] = []) async throws -> SimProcess {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result { try startBlocking(arguments) })
            }.start()
        }
    }

    private static func startBlocking(_ arguments: [String]) throws -> SimProcess {
        let outputPath = NSTemporaryDirectory() + "kosmo-sim-" + UUID().uuidString + ".out"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(0x80))  // POSIX_SPAWN_SETSID
        let argv = ([Binaries.kosmo, "sim", "--port", "0"] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, Binaries.kosmo, &actions, &attributes, argv, environ)
        guard rc == 0 else { throw NSError(domain: "posix_spawn kosmo-lua sim", code: Int(rc)) }
        for _ in 0..<400 {
            let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first, line.hasPrefix("http://"), text.contains("\n") {
                return SimProcess(pid: pid, baseURL: String(line), outputPath: outputPath)
            }
            usleep(50_000)
        }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        throw NSError(domain: "kosmo-lua sim printed no URL: \((try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "")", code: 1)
    }

    /// Stops the simulator (SIGTERM, then SIGKILL after 5 s) and returns everything it printed.
    @discardableResult
    func stop() -> String {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        for _ in 0..<100 {
            if waitpid(pid, &status, WNOHANG) == pid { break }
            usleep(50_000)
        }
        if waitpid(pid, &status, WNOHANG) == 0 {
            kill(pid, SIGKILL)
            waitpid(pid, &status, 0)
        }
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(atPath: outputPath)
        return output
    }

    /// `GET path` on the simulator's origin with python3's urllib (no token), as text.
    func fetch(_ path: String) async throws -> String {
        let result = try await runProcess("/usr/bin/env", ["python3", "-c", "import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())", origin + path])
        return result.stdout
    }
}
