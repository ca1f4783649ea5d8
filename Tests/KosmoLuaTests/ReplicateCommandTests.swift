import Foundation
import Testing

/// The `replicate` table through the built binary, as a user runs it: examples, the policy's
/// flags and messages, `--trace`, and the approval prompt on a real pseudo-terminal.
@Suite struct ReplicateCommandTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// Each example with the flags it documents and a line its output must contain.
    static let examples: [(file: String, flags: [String], expect: String)] = [
        ("quickstart.lua", ["--allow", "run"], "hello world"),
        ("image_pipeline.lua", ["--allow", "run"], "saved "),
        ("batch_fanout.lua", ["--allow", "run"], "Radia     hello Radia"),
        ("llm_chat.lua", ["--allow", "stream"], "(4 messages kept in the history)"),
        ("fine_tune.lua", ["--write", "allow"], "trainable says hello from my fine-tune"),
        ("deployment.lua", ["--write", "allow"], "deleted: true"),
        ("file_upload.lua", ["--write", "allow"], "deleted both files"),
        ("model_discovery.lua", [], "inputs of meta/meta-llama-3-8b-instruct:"),
        ("webhook_verify.lua", [], "tampered body verifies: false"),
    ]

    @Test("Every example runs under --sim with the flags its header documents", arguments: examples.map(\.file))
    func example(_ file: String) async throws {
        guard let entry = Self.examples.first(where: { $0.file == file }) else { return }
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // The image pipeline takes its output directory; the others run with no arguments.
        let arguments = file == "image_pipeline.lua" ? [directory] : []
        let result = try await kosmo(["--sim"] + entry.flags + ["\(Self.root)/examples/\(file)"] + arguments, directory: directory, timeout: 60)
        #expect(result.status == 0, "\(file) failed: \(result.stderr)")
        #expect(result.stdout.contains(entry.expect), "\(file) printed:\n\(result.stdout)")
        if file == "image_pipeline.lua" {
            let png = try Data(contentsOf: URL(fileURLWithPath: directory + "/llama-1.png"))
            #expect(png.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        }
    }

    @Test("Every example in examples/ is covered by the test above")
    func examplesCovered() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.root + "/examples").filter { $0.hasSuffix(".lua") }
        #expect(Set(files) == Set(Self.examples.map(\.file)))
    }

    @Test("With no terminal, a write under the default policy fails closed, names the flags, exits 1")
    func failClosed() async throws {
        let result = try await kosmo(["--sim", "\(Self.root)/examples/quickstart.lua"])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("kosmo-lua: permission error in replicate.run: writes ask for approval (default), but there is no terminal to ask on"))
        #expect(result.stderr.contains("--allow run, --write allow or --force"))
        #expect(result.stderr.contains("stack traceback:"))
    }

    @Test("--trace prints each call as it happens; --write deny and --force are reported")
    func trace() async throws {
        let code = "replicate.get_account(); pcall(replicate.get_model, 'no/such'); print(pcall(replicate.delete_model, 'a/b'))"
        let denied = try await kosmo(["--sim", "--trace", "--write", "deny", "-e", code])
        #expect(denied.status == 0, "\(denied.stderr)")
        let lines = denied.stderr.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix("kosmo-lua: trace: replicate.get_account read allowed → 200 in "))
        #expect(lines[1].hasPrefix("kosmo-lua: trace: replicate.get_model read allowed → 404 (http error) in "))
        #expect(lines[2].hasPrefix("kosmo-lua: trace: replicate.delete_model write denied (permission error)"))
        #expect(denied.stdout.contains("false\tpermission error in replicate.delete_model: writes are denied (--write deny)"))

        let forced = try await kosmo(["--sim", "--trace", "--write", "deny", "--force", "-e", "print(pcall(replicate.delete_model, 'a/b'))"])
        #expect(forced.stderr.contains("replicate.delete_model write forced → 404"))
    }

    @Test("Bad policy flags are usage errors naming the fix")
    func badFlags() async throws {
        let bad = try await kosmo(["--write", "sometimes", "-e", ""])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("'sometimes' is not a permission; use allow, ask or deny"))
        let misspelt = try await kosmo(["--allow", "get_modle", "-e", ""])
        #expect(misspelt.status == 1)
        #expect(misspelt.stderr.contains("did you mean 'get_model'?"))
        let noDirectory = try await kosmo(["--sandbox", "--allow-read", "/no/such/dir", "-e", ""])
        #expect(noDirectory.stderr.contains("--allow-read needs an existing directory"))
    }
}

/// The approval prompt on a real pseudo-terminal (tmux): y performs, n refuses, a stops asking.
@Suite(.serialized) struct ApprovalPromptTests {
    func withPrompt(_ script: String, flags: String = "", _ body: (REPLTests.Session) async throws -> Void) async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/script.lua"
        try write(script, to: path)
        // The pane stays after the script ends so its last lines can be read.
        let session = try await REPLTests.Session(home: directory, command: "sh -c '\(Binaries.kosmo) --sim \(flags) \(path); echo EXIT=$?; sleep 60'", ready: "allow write call")
        defer { Task { await session.close() } }
        try await body(session)
    }

    static let create = #"replicate.create_prediction{version = "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa", input = {text = "tty"}, wait = true}"#

    @Test("Answering y performs the write")
    func yes() async throws {
        try await withPrompt("print('output: ' .. \(Self.create).output)") { session in
            let screen = try await session.screen()
            #expect(screen.contains("kosmo-lua: allow write call replicate.create_prediction(version=\"5c7d"))
            #expect(screen.contains("[y]es / [n]o / [a]lways create_prediction / all [w]rites"))
            try await session.line("y")
            let after = try await session.waitFor("EXIT=")
            #expect(after.contains("output: hello tty") && after.contains("EXIT=0"))
        }
    }

    @Test("Time spent answering does not count toward --timeout")
    func slowAnswer() async throws {
        // Answered after 2 s with a 1 s limit: neither the limit nor the watchdog (which ends a
        // process stuck past its deadline) counts the wait.
        try await withPrompt("print('output: ' .. \(Self.create).output)", flags: "--timeout 1") { session in
            try await Task.sleep(nanoseconds: 2_000_000_000)
            try await session.line("y")
            let after = try await session.waitFor("EXIT=")
            #expect(after.contains("output: hello tty") && after.contains("EXIT=0"), "\(after)")
        }
    }

    @Test("Answering n refuses it with a permission error")
    func no() async throws {
        try await withPrompt("print(\(Self.create).output)") { session in
            try await session.line("n")
            let after = try await session.waitFor("EXIT=")
            #expect(after.contains("permission error in replicate.create_prediction: refused at the prompt"))
            #expect(after.contains("EXIT=1"))
        }
    }

    @Test("Answering a stops asking for that function")
    func always() async throws {
        try await withPrompt("for i = 1, 3 do \(Self.create) end; print('three done')") { session in
            try await session.line("a")
            let after = try await session.waitFor("EXIT=")
            #expect(after.contains("three done") && after.contains("EXIT=0"))
            #expect(after.components(separatedBy: "allow write call").count == 2, "asked more than once:\n\(after)")
        }
    }

    @Test("A progress line shows while run waits on a terminal, is cleared before the result, and --quiet hides it")
    func progressLine() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let script = directory + "/slow.lua"
        try write("print('result: ' .. replicate.run('sim/slow', {seconds = 2}))", to: script)
        let shown = try await REPLTests.Session(home: directory, command: "sh -c '\(Binaries.kosmo) --sim --allow run \(script); echo EXIT=$?; sleep 60'",
                                                ready: "sim/slow · starting · ")
        let after = try await shown.waitFor("EXIT=")
        await shown.close()
        #expect(after.hasPrefix("result: slept 2s\n"), "the line was not cleared:\n\(after)")

        let quiet = try await REPLTests.Session(home: directory, command: "sh -c '\(Binaries.kosmo) --sim --quiet --allow run \(script); echo EXIT=$?; sleep 60'",
                                                ready: "EXIT=")
        let screen = try await quiet.screen()
        await quiet.close()
        #expect(!screen.contains("sim/slow ·") && screen.contains("result: slept 2s"))
    }
}
