import Foundation
import ReplicateLua
import Testing

/// A one-thread HTTP listener on loopback for download tests: it answers each request with
/// what `respond` returns for its request line, and records every request line it got (a
/// server the sandbox must not reach must record none).
final class LoopbackListener: @unchecked Sendable {
    let port: Int
    private let fd: Int32
    private let lock = NSLock()
    private var lines: [String] = []

    /// `respond` gets the request line (`GET /x HTTP/1.1`) and returns the raw response.
    init(_ respond: @escaping @Sendable (String) -> String) throws {
        let listening = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listening >= 0 else { throw NSError(domain: "socket", code: Int(errno)) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listening, $0, length) } }
        guard bound == 0, listen(listening, 16) == 0 else {
            close(listening)
            throw NSError(domain: "bind", code: Int(errno))
        }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listening, $0, &length) } }
        fd = listening
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread { [weak self] in
            while true {
                let client = accept(listening, nil, nil)
                if client < 0 { if errno == EINTR { continue } else { return } }
                var request: [UInt8] = []
                var buffer = [UInt8](repeating: 0, count: 4096)
                while !request.containsHeaderEnd {
                    let n = read(client, &buffer, buffer.count)
                    if n <= 0 { break }
                    request += buffer[0..<n]
                }
                let line = String(decoding: request, as: UTF8.self).components(separatedBy: "\r\n").first ?? ""
                self?.lock.withLock { self?.lines.append(line) }
                let response = Array(respond(line).utf8)
                _ = response.withUnsafeBytes { write(client, $0.baseAddress, $0.count) }
                close(client)
            }
        }.start()
    }

    /// The request lines received so far.
    var requests: [String] { lock.withLock { lines } }

    var origin: String { "http://127.0.0.1:\(port)" }

    func stop() {
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }

    static func ok(_ body: String) -> String {
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
    }
}

private extension Array where Element == UInt8 {
    var containsHeaderEnd: Bool {
        count >= 4 && indices.dropLast(3).contains { self[$0] == 13 && self[$0 + 1] == 10 && self[$0 + 2] == 13 && self[$0 + 3] == 10 }
    }
}

/// Downloads write only files, only inside the grants, atomically; in the sandbox they fetch
/// only from the API's own file hosts; the approval prompt shows script text escaped.
@Suite(.serialized) struct HardeningFilesTests {
    /// A scratch directory `root` holding the grant `root/grant`, so a file written beside the
    /// grant (a temporary file in the grant's parent) shows up in `root`.
    struct Scratch {
        let root: String
        var grant: String { root + "/grant" }

        init() throws {
            // Resolved: the grant is compared after links are resolved, and so are the paths here.
            root = URL(fileURLWithPath: try temporaryDirectory()).resolvingSymlinksInPath().path
            try FileManager.default.createDirectory(atPath: root + "/grant", withIntermediateDirectories: true)
        }

        func remove() { try? FileManager.default.removeItem(atPath: root) }

        func entries(_ path: String) -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
        }

        func isDirectory(_ path: String) -> Bool {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
        }

        func contents(_ path: String) -> String? {
            FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
        }
    }

    /// Uploads `content` to the simulator and names the file object `f`.
    static func upload(_ content: String) -> String {
        "local f = replicate.upload(\"\(content)\", {filename = \"a.txt\"})\n"
    }

    /// Each of `targets` (Lua expressions) as one line: the target, whether the download
    /// succeeded, the error kind and message.
    static func tryEach(_ targets: [String]) -> String {
        upload("new bytes") + """
            for _, target in ipairs{\(targets.joined(separator: ", "))} do
              local ok, e = pcall(replicate.download, f, target)
              print("[" .. target .. "]", ok, ok and "-" or e.kind, ok and "-" or e.message)
            end
            """
    }

    @Test("download never replaces a directory: the grant itself, '.', a trailing '/', a subdirectory, a link to one")
    func directoriesAreNeverReplaced() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let grant = scratch.grant
        try FileManager.default.createDirectory(atPath: grant + "/sub", withIntermediateDirectories: true)
        try write("keep me", to: grant + "/marker.txt")
        try write("keep me too", to: grant + "/sub/inner.txt")
        try FileManager.default.createSymbolicLink(atPath: grant + "/linkdir", withDestinationPath: grant + "/sub")
        let targets = [#"".""#, #""./""#, "'\(grant)'", "'\(grant)/'", #""sub""#, #""sub/""#, #""linkdir""#, #""sub/..""#, #""sub/.""#]
        let script = Self.tryEach(targets)
        let result = try await kosmo(["--sim", "--sandbox", "--allow-write", grant, "--allow", "upload", "-e", script], directory: grant)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == targets.count, "\(result.stdout)")
        for line in lines {
            #expect(line.contains("\tfalse\tvalidation\t") && line.contains("is a directory; name a file inside it, e.g. "), "\(line)")
        }
        #expect(lines.first?.contains("e.g. './out.png'") == true, "\(lines.first ?? "")")
        #expect(scratch.isDirectory(grant) && scratch.isDirectory(grant + "/sub"))
        #expect(scratch.contents(grant + "/marker.txt") == "keep me")
        #expect(scratch.contents(grant + "/sub/inner.txt") == "keep me too")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: grant + "/linkdir")) == grant + "/sub")
        #expect(scratch.entries(scratch.root) == ["grant"], "nothing is written beside the grant")
        #expect(scratch.entries(grant) == ["linkdir", "marker.txt", "sub"], "no temporary file is left in the grant")
        #expect(scratch.entries(grant + "/sub") == ["inner.txt"])

        // exec --json: the same, as an envelope, for `.` (run in the grant) and the grant by name.
        for target in [".", grant, grant + "/"] {
            let run = try await kosmo(["exec", "--json", "--sim", "--allow-write", grant, "-"],
                                      stdin: Self.upload("x") + "return replicate.download(f, '\(target)')", directory: grant)
            let shown = envelope(run)
            #expect(errorKind(shown) == "validation" && errorMessage(shown).contains("is a directory"), "\(target): \(shown)")
        }
        #expect(scratch.isDirectory(grant) && scratch.contents(grant + "/marker.txt") == "keep me")
    }

    @Test("Outside the sandbox too, a download never replaces a directory or writes into a FIFO")
    func directoriesAreNeverReplacedOutsideTheSandbox() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        try write("keep me", to: scratch.grant + "/marker.txt")
        #expect(mkfifo(scratch.grant + "/fifo", 0o600) == 0)
        let result = try await kosmo(["--sim", "--allow", "upload", "-e", Self.tryEach([#"".""#, #""..""#, #""fifo""#])], directory: scratch.grant)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.components(separatedBy: "is a directory").count == 3, "\(result.stdout)")
        #expect(result.stdout.contains("[fifo]\tfalse\tvalidation\t") && result.stdout.contains("it is a FIFO"), "\(result.stdout)")
        #expect(scratch.isDirectory(scratch.grant) && scratch.contents(scratch.grant + "/marker.txt") == "keep me")
        #expect(scratch.entries(scratch.root) == ["grant"])
        #expect(scratch.entries(scratch.grant) == ["fifo", "marker.txt"])
    }

    @Test("Links out of the grant, dangling links, FIFOs and parent directories are refused")
    func otherTargetsAreRefused() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let grant = scratch.grant
        let outside = scratch.root + "/outside.txt"
        try write("outside", to: outside)
        try FileManager.default.createSymbolicLink(atPath: grant + "/out", withDestinationPath: outside)
        try FileManager.default.createSymbolicLink(atPath: grant + "/dangling", withDestinationPath: scratch.root + "/nothing-here.txt")
        #expect(mkfifo(grant + "/fifo", 0o600) == 0)
        let result = try await kosmo(["--sim", "--sandbox", "--allow-write", grant, "--allow", "upload", "--timeout", "20", "-e",
                                      Self.tryEach([#""out""#, #""dangling""#, #""fifo""#, #""..""#, #""../x.txt""#, #""""#, #""sub/x.txt""#])],
                                     directory: grant)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 7, "\(result.stdout)")
        func line(_ target: String) -> String { lines.first { $0.hasPrefix("[\(target)]\t") } ?? "" }
        #expect(line("out").contains("\tpermission\t") && line("out").contains("--allow-write"), "\(line("out"))")
        #expect(line("dangling").contains("\tvalidation\t") && line("dangling").contains("which does not exist"), "\(line("dangling"))")
        #expect(line("fifo").contains("\tvalidation\t") && line("fifo").contains("FIFO"), "\(line("fifo"))")
        #expect(line("..").contains("\tpermission\t"), "\(line(".."))")
        #expect(line("../x.txt").contains("\tpermission\t"), "\(line("../x.txt"))")
        #expect(line("").contains("\tvalidation\t") && line("").contains("empty"), "\(line(""))")
        #expect(line("sub/x.txt").contains("\tvalidation\t") && line("sub/x.txt").contains("does not exist"), "\(line("sub/x.txt"))")
        #expect(scratch.contents(outside) == "outside")
        #expect(!FileManager.default.fileExists(atPath: scratch.root + "/nothing-here.txt"))
        #expect(!FileManager.default.fileExists(atPath: scratch.root + "/x.txt"))
        #expect(scratch.entries(scratch.root) == ["grant", "outside.txt"])
        #expect(scratch.entries(grant) == ["dangling", "fifo", "out"])
    }

    @Test("An existing file is replaced atomically (a new file renamed over it, its mode kept); a failed download leaves it")
    func existingFilesAreReplacedAtomically() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let grant = scratch.grant
        let file = grant + "/existing.txt"
        try write("old", to: file)
        chmod(file, 0o640)
        // A second name for the old file: writing in place would change it too; a rename does not.
        #expect(link(file, grant + "/old-name.txt") == 0)
        var before = stat()
        stat(file, &before)
        let code = Self.upload("new bytes") + "print(replicate.download(f, 'existing.txt').bytes)"
        let result = try await kosmo(["--sim", "--sandbox", "--allow-write", grant, "--allow", "upload", "-e", code], directory: grant)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "9\n", "\(result.stdout)")
        var after = stat()
        stat(file, &after)
        #expect(scratch.contents(file) == "new bytes")
        #expect(after.st_ino != before.st_ino, "replaced by a rename, not written in place")
        #expect(after.st_mode & 0o777 == 0o640)
        #expect(scratch.contents(grant + "/old-name.txt") == "old")

        // A download that fails at the server (404) leaves the file as it was, and no temporary file.
        let failing = """
            local f = replicate.upload("x", {filename = "a.txt"})
            local ok, e = pcall(replicate.download, f.urls.get .. "-missing", "existing.txt")
            print(ok, e.kind)
            """
        let failed = try await kosmo(["--sim", "--sandbox", "--allow-write", grant, "--allow", "upload", "-e", failing], directory: grant)
        #expect(failed.stdout == "false\thttp\n", "\(failed.stdout) \(failed.stderr)")
        #expect(scratch.contents(file) == "new bytes")
        #expect(scratch.entries(grant) == ["existing.txt", "old-name.txt"])
        #expect(scratch.entries(scratch.root) == ["grant"])
    }

    @Test("A transfer cut short leaves the old file and no temporary file, inside or outside the grant")
    func aPartialTransferLeavesNothing() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let grant = scratch.grant
        try write("old", to: grant + "/existing.txt")
        // Promises 100000 bytes, sends 10 and hangs up.
        let server = try LoopbackListener { _ in "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\nConnection: close\r\n\r\n0123456789" }
        defer { server.stop() }
        let (_, envelope) = try await execJSON("return replicate.download('\(server.origin)/big.bin', '\(grant)/existing.txt')",
                                               ["--sim", "--allow-write", grant, "--allow-download-host", "127.0.0.1:\(server.port)"], timeout: 60)
        #expect(envelope["ok"] as? Bool == false && errorKind(envelope) == "network", "\(envelope)")
        #expect(!server.requests.isEmpty)
        #expect(scratch.contents(grant + "/existing.txt") == "old")

        let cut = try await kosmo(["--sim", "--sandbox", "--allow-write", grant, "--allow-download-host", "127.0.0.1:\(server.port)", "-e",
                                   "local ok, e = pcall(replicate.download, '\(server.origin)/big.bin', 'existing.txt') print(ok, e.kind)"],
                                  directory: grant, timeout: 60)
        #expect(cut.stdout == "false\tnetwork\n", "\(cut.stdout) \(cut.stderr)")
        #expect(scratch.contents(grant + "/existing.txt") == "old")
        #expect(scratch.entries(grant) == ["existing.txt"])
        #expect(scratch.entries(scratch.root) == ["grant"])
    }

    @Test("In exec, a loopback URL that is not the API's is refused and sent nothing; --allow-download-host lets it through")
    func downloadHostsAreLimited() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let grant = scratch.grant
        let other = try LoopbackListener { line in
            line.contains("/missing") ? "HTTP/1.1 404 Not Found\r\nContent-Length: 27\r\nConnection: close\r\n\r\ninternal-secret-of-the-host"
                : LoopbackListener.ok("from the other host")
        }
        defer { other.stop() }
        let code = "return replicate.download('\(other.origin)/secret', '\(grant)/got.txt')"
        let (_, refused) = try await execJSON(code, ["--sim", "--allow-write", grant])
        #expect(errorKind(refused) == "permission", "\(refused)")
        #expect(errorMessage(refused).contains("127.0.0.1:\(other.port)") && errorMessage(refused).contains("--allow-download-host 127.0.0.1:\(other.port)"),
                "\(errorMessage(refused))")
        #expect(calls(refused).first?["decision"] as? String == "denied" && calls(refused).first?["error"] as? String == "permission")
        #expect(other.requests.isEmpty, "the other server was reached: \(other.requests)")
        #expect(!FileManager.default.fileExists(atPath: grant + "/got.txt"))

        // The CLI's sandbox too.
        let sandboxed = try await kosmo(["--sim", "--sandbox", "--allow-write", grant, "-e",
                                         "local ok, e = pcall(replicate.download, '\(other.origin)/secret', '\(grant)/got.txt') print(ok, e.kind)"])
        #expect(sandboxed.stdout == "false\tpermission\n", "\(sandboxed.stdout) \(sandboxed.stderr)")
        #expect(other.requests.isEmpty)

        let allow = ["--sim", "--allow-write", grant, "--allow-download-host", "127.0.0.1:\(other.port)"]
        let (_, allowed) = try await execJSON(code + ".bytes", allow)
        #expect(allowed["result"] as? Int == 19, "\(allowed)")
        #expect(scratch.contents(grant + "/got.txt") == "from the other host")
        #expect(other.requests == ["GET /secret HTTP/1.1"])

        // A failed download from it reports the status, not what the server said.
        let (_, failed) = try await execJSON("return replicate.download('\(other.origin)/missing', '\(grant)/no.txt')", allow)
        #expect(errorKind(failed) == "http" && errorMessage(failed).contains("HTTP 404"), "\(failed)")
        #expect(!"\(failed)".contains("internal-secret"), "\(failed)")

        // A bad flag value is a usage error naming the forms it takes.
        let bad = try await kosmo(["exec", "--json", "--sim", "--allow-download-host", "http://x.example/", "-"], stdin: "return 1")
        #expect((bad.stdout + bad.stderr).contains("--allow-download-host needs a host name, host:port or *.domain"), "\(bad.stdout) \(bad.stderr)")
        #expect(bad.status == 2)
    }

    @Test("In mcp, each execution's download is held to the same hosts, and the server's --allow-download-host reaches it")
    func mcpExecutionsAreHeldToTheHosts() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let grant = scratch.grant
        let other = try LoopbackListener { _ in LoopbackListener.ok("mcp bytes") }
        defer { other.stop() }
        let code = "return replicate.download('\(other.origin)/x', '\(grant)/m.txt').bytes"
        try await onThread {
            let refusing = try MCPSession(["mcp", "--sim", "--allow-write", grant])
            defer { refusing.close() }
            _ = try refusing.initialize()
            let (refused, _) = try refusing.execute(code)
            #expect(errorKind(refused) == "permission" && errorMessage(refused).contains("--allow-download-host"), "\(refused)")
            #expect(other.requests.isEmpty)

            let allowing = try MCPSession(["mcp", "--sim", "--allow-write", grant, "--allow-download-host", "127.0.0.1:\(other.port)"])
            defer { allowing.close() }
            _ = try allowing.initialize()
            let (allowed, _) = try allowing.execute(code)
            #expect(allowed["result"] as? Int == 9, "\(allowed)")
        }
        #expect(scratch.contents(grant + "/m.txt") == "mcp bytes")
    }

    @Test("A redirect to a host that is not allowed is refused before it is followed")
    func redirectsAreChecked() async throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let grant = scratch.grant
        let target = try LoopbackListener { _ in LoopbackListener.ok("redirected bytes") }
        defer { target.stop() }
        let redirector = try LoopbackListener { _ in
            "HTTP/1.1 302 Found\r\nLocation: \(target.origin)/final\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        }
        defer { redirector.stop() }
        let code = "return replicate.download('\(redirector.origin)/start', '\(grant)/r.txt')"
        let (_, refused) = try await execJSON(code, ["--sim", "--allow-write", grant, "--allow-download-host", "127.0.0.1:\(redirector.port)"])
        #expect(errorKind(refused) == "permission", "\(refused)")
        #expect(errorMessage(refused).contains("redirected to 127.0.0.1:\(target.port)"), "\(errorMessage(refused))")
        #expect(redirector.requests == ["GET /start HTTP/1.1"])
        #expect(target.requests.isEmpty, "the redirect was followed: \(target.requests)")
        #expect(scratch.entries(grant).isEmpty)

        // Both allowed: the redirect is followed.
        let (_, followed) = try await execJSON(code + ".bytes", ["--sim", "--allow-write", grant,
                                                                 "--allow-download-host", "127.0.0.1:\(redirector.port)",
                                                                 "--allow-download-host", "127.0.0.1:\(target.port)"])
        #expect(followed["result"] as? Int == 16, "\(followed)")
        #expect(target.requests == ["GET /final HTTP/1.1"])
        #expect(scratch.contents(grant + "/r.txt") == "redirected bytes")
    }

    @Test("The approval prompt's text escapes controls, escape sequences and invisible characters")
    func promptTextIsEscaped() {
        #expect(PromptText.escaped("a\u{1B}[2J\r\nb\tc\\d") == #"a\x1b[2J\r\nb\tc\\d"#)
        #expect(PromptText.escaped("\u{0}\u{7}\u{7F}\u{85}\u{9B}") == #"\x00\x07\x7f\x85\x9b"#)
        #expect(PromptText.escaped("evil\u{202E}txt.exe\u{200B}\u{2028}\u{FFFD}") == #"evil\u{202e}txt.exe\u{200b}\u{2028}\u{fffd}"#)
        #expect(PromptText.escaped("plain \"text\" é 画像") == "plain \"text\" é 画像")
        // The arguments come as an ArgumentSummary line, escaped already (the end-to-end tests
        // below go through it); the function is escaped here (the access is a typed word).
        #expect(PromptText.question(function: "run\u{1B}[2J", access: .write, arguments: "x=1")
                == #"kosmo-lua: allow write call replicate.run\x1b[2J(x=1)?"#)
    }

    @Test("On a terminal, an escape sequence in the arguments shows as text and cannot redraw the prompt")
    func terminalPromptShowsEscapes() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/script.lua"
        // Clears the screen, homes the cursor and writes a fake question over the real one.
        try write(#"replicate.create_prediction{version = "\#(ExecTests.helloVersion)", input = {text = "\27[2J\27[Hok?\r\n"}}"#, to: path)
        let session = try await REPLTests.Session(home: directory, command: "sh -c '\(Binaries.kosmo) --sim \(path); echo EXIT=$?; sleep 60'",
                                                  ready: "allow write call")
        defer { Task { await session.close() } }
        // -J joins the question's wrapped lines.
        let screen = try await session.tmux(["capture-pane", "-p", "-J", "-t", "0"]).stdout
        #expect(screen.contains(#"input={text="\x1b[2J\x1b[Hok?\r\n"}"#), "\(screen)")
        #expect(screen.contains("kosmo-lua: allow write call replicate.create_prediction(version=\"5c7d"))
        try await session.line("n")
        let after = try await session.waitFor("EXIT=")
        #expect(after.contains("refused at the prompt") && after.contains("EXIT=1"), "\(after)")
    }

    @Test("An MCP elicitation shows the same escaped text")
    func elicitationShowsEscapes() async throws {
        try await onThread {
            let session = try MCPSession(["mcp", "--sim", "--write", "ask"])
            defer { session.close() }
            _ = try session.initialize(elicitation: true)
            var questions: [String] = []
            session.onRequest = { request in
                questions.append((request["params"] as? [String: Any])?["message"] as? String ?? "")
                return ["action": "decline"]
            }
            let (refused, _) = try session.execute(#"return replicate.run("replicate/hello-world:\#(ExecTests.helloVersion)", {text = "\27[2J\r\nyes"})"#)
            #expect(errorKind(refused) == "permission", "\(refused)")
            #expect(questions.count == 1)
            #expect(questions.first?.contains(#"text="\x1b[2J\r\nyes""#) == true, "\(questions)")
            // A quote inside a value cannot make it look like another argument.
            let (quoted, _) = try session.execute(#"return replicate.run("replicate/hello-world:\#(ExecTests.helloVersion)", {text = 'a" destination="evil'})"#)
            #expect(errorKind(quoted) == "permission", "\(quoted)")
            #expect(questions.last?.contains(#"text="a\" destination=\"evil""#) == true, "\(questions)")
            #expect(questions.first?.unicodeScalars.contains { $0.value < 0x20 } == false, "\(questions)")
        }
    }
}
