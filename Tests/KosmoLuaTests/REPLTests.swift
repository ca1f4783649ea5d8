import Foundation
import Testing

/// The REPL through a real pseudo-terminal (tmux): completion, history, multi-line input,
/// pretty printing, Ctrl-C and Ctrl-D.
@Suite(.serialized) struct REPLTests {
    /// One REPL in its own tmux server and home directory.
    final class Session: Sendable {
        let socket = "kosmo-test-\(UUID().uuidString.prefix(8))"
        let home: String

        /// Starts `command` (the REPL by default) in a fresh tmux pane and waits for `ready`.
        init(home: String? = nil, command: String? = nil, ready: String = "Copyright") async throws {
            self.home = try home ?? temporaryDirectory()
            let command = "env HOME=\(self.home) TERM=xterm \(command ?? Binaries.kosmo)"
            let result = try await runProcess("/usr/bin/tmux", ["-L", socket, "new-session", "-d", "-x", "120", "-y", "50", command],
                                              timeout: 10, captureOutput: false)
            #expect(result.status == 0, "tmux new-session failed")
            try await waitFor(ready)
        }

        func tmux(_ arguments: [String]) async throws -> ProcessResult {
            try await runProcess("/usr/bin/tmux", ["-L", socket] + arguments, timeout: 10)
        }

        func type(_ text: String) async throws {
            _ = try await tmux(["send-keys", "-t", "0", "-l", text])
        }

        func press(_ keys: String...) async throws {
            _ = try await tmux(["send-keys", "-t", "0"] + keys)
        }

        func line(_ text: String) async throws {
            try await type(text)
            try await press("Enter")
        }

        func screen() async throws -> String {
            try await tmux(["capture-pane", "-p", "-t", "0"]).stdout
        }

        /// Waits until the screen shows `text` (up to 10 s) and returns the screen.
        @discardableResult
        func waitFor(_ text: String) async throws -> String {
            var last = ""
            for _ in 0..<100 {
                last = try await screen()
                if last.contains(text) { return last }
                try await Task.sleep(nanoseconds: 100_000_000)
            }
            Issue.record("screen never showed \(text.debugDescription); it shows:\n\(last)")
            return last
        }

        var isRunning: Bool {
            get async { (try? await tmux(["has-session"]).status) == 0 }
        }

        func close() async {
            _ = try? await tmux(["kill-server"])
        }

        /// The tests' `defer { Task { close } }` may never run once the test returns, which left
        /// tmux servers and REPLs behind; ending the server when the session goes away does not
        /// depend on that. Fire and forget: `kill-server` after `close()` is harmless.
        deinit {
            var pid: pid_t = 0
            let words: [String] = ["/usr/bin/tmux", "-L", socket, "kill-server"]
            let argv = words.map { strdup($0) } + [nil]
            defer { argv.forEach { free($0) } }
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            for fd in Int32(0)...2 { posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0) }
            if posix_spawn(&pid, "/usr/bin/tmux", &actions, nil, argv, environ) == 0 {
                let child = pid
                DispatchQueue.global().async { var status: Int32 = 0; waitpid(child, &status, 0) }
            }
        }
    }

    @Test func expressionsPrintPrettyValuesAndStateIsKept() async throws {
        let s = try await Session()
        defer { Task { await s.close() } }
        try await s.line("x = {1, 2, {a = 'b'}}")
        try await s.line("x")
        try await s.waitFor("{ 1, 2, { a = \"b\" } }")
        try await s.line("t = {} t.self = t")
        try await s.line("t")
        try await s.waitFor("self = <cycle: table: 0x")
        try await s.line("=#x + 39")
        try await s.waitFor("\n42")
    }

    @Test func multiLineChunksContinueUntilComplete() async throws {
        let s = try await Session()
        defer { Task { await s.close() } }
        try await s.line("function f(n)")
        try await s.waitFor(">>")
        try await s.line("  return n * 2")
        try await s.line("end")
        try await s.line("f(21)")
        try await s.waitFor("\n42")
    }

    @Test func tabCompletesGlobalsAndFields() async throws {
        let s = try await Session()
        defer { Task { await s.close() } }
        try await s.type("string.fo")
        try await s.press("Tab")
        try await s.waitFor("> string.format")
        try await s.line("('%d-%s', 7, 'x')")
        try await s.waitFor("\"7-x\"")
        try await s.line("mylongglobal = 5")
        try await s.type("mylonggl")
        try await s.press("Tab")
        try await s.waitFor("> mylongglobal")
        try await s.press("Enter")
        try await s.waitFor("\n5")
        // The replicate table is built when the REPL starts, so its fields complete too.
        try await s.type("replicate.get_mod")
        try await s.press("Tab")
        try await s.waitFor("> replicate.get_model")
    }

    @Test func ctrlCStopsRunningCodeAndKeepsTheREPL() async throws {
        let s = try await Session()
        defer { Task { await s.close() } }
        try await s.line("kept = 'still here'")
        try await s.line("while true do end")
        try await Task.sleep(nanoseconds: 500_000_000)
        try await s.press("C-c")
        try await s.waitFor("interrupted!")
        try await s.line("kept")
        try await s.waitFor("\"still here\"")
        // The REPL keeps the count hook, so Ctrl-C reaches a loop inside a coroutine too.
        try await s.line("coroutine.wrap(function() while true do end end)()")
        try await Task.sleep(nanoseconds: 500_000_000)
        try await s.press("C-c")
        try await s.line("'after the coroutine'")
        try await s.waitFor("\"after the coroutine\"")
        #expect(await s.isRunning)
    }

    @Test func historyIsSavedAndRecalled() async throws {
        let home = try temporaryDirectory()
        let first = try await Session(home: home)
        try await first.line("remembered = 123")
        try await first.press("C-d")
        for _ in 0..<50 where await first.isRunning { try await Task.sleep(nanoseconds: 100_000_000) }
        #expect(await !first.isRunning, "Ctrl-D should end the REPL")
        await first.close()
        let history = try String(contentsOfFile: home + "/.kosmo_lua_history", encoding: .utf8)
        #expect(history.contains("remembered"))

        let second = try await Session(home: home)
        defer { Task { await second.close() } }
        try await second.press("Up")
        try await second.waitFor("> remembered = 123")
    }
}
