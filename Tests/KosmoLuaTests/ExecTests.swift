import Foundation
import Testing

/// Parses the one envelope `exec --json` printed.
func envelope(_ result: ProcessResult, sourceLocation: SourceLocation = #_sourceLocation) -> [String: Any] {
    let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: true)
    #expect(lines.count == 1, "exec --json must print exactly one line: \(result.stdout) \(result.stderr)", sourceLocation: sourceLocation)
    guard let line = lines.first, let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
        Issue.record("not a JSON envelope: \(result.stdout) / stderr: \(result.stderr)", sourceLocation: sourceLocation)
        return [:]
    }
    return object
}

/// Runs `code` through `kosmo-lua exec --json -` with `flags`.
func execJSON(_ code: String, _ flags: [String] = [], environment: [String: String] = [:], timeout: Double = 30) async throws -> (ProcessResult, [String: Any]) {
    let result = try await kosmo(["exec", "--json"] + flags + ["-"], stdin: code, environment: environment, timeout: timeout)
    return (result, envelope(result))
}

func errorKind(_ envelope: [String: Any]) -> String? { (envelope["error"] as? [String: Any])?["kind"] as? String }
func errorMessage(_ envelope: [String: Any]) -> String { (envelope["error"] as? [String: Any])?["message"] as? String ?? "" }
func calls(_ envelope: [String: Any]) -> [[String: Any]] { envelope["calls"] as? [[String: Any]] ?? [] }

/// `kosmo-lua exec`: the envelope, exit statuses, the policy and the spend guard.
@Suite struct ExecTests {
    static let helloVersion = "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa"

    /// The issue's example, exactly: a run through the simulator, its output and its calls.
    @Test func helloWorldEnvelope() async throws {
        let code = "return replicate.run(\"replicate/hello-world:\(Self.helloVersion)\", {text = \"x\"})\n"
        let result = try await kosmo(["exec", "--sim", "--json", "-"], stdin: code)
        #expect(result.status == 0, "\(result.stderr)")
        let envelope = envelope(result)
        #expect(envelope["ok"] as? Bool == true)
        #expect(envelope["result"] as? String == "hello x")
        #expect(envelope["output"] as? String == "")
        #expect(envelope["output_truncated"] as? Bool == false)
        #expect(envelope["error"] is NSNull)
        #expect(envelope["permission_bypassed"] as? Bool == false)
        let made = calls(envelope)
        #expect(!made.isEmpty)
        #expect(made.contains { $0["function"] as? String == "run" && $0["access"] as? String == "write" })
        for call in made {
            for key in ["function", "access", "decision", "status", "ms", "prediction_id", "error"] {
                #expect(call.keys.contains(key), "call without \(key): \(call)")
            }
        }
        let stats = envelope["stats"] as? [String: Any] ?? [:]
        #expect((stats["ms"] as? Double ?? -1) >= 0)
        #expect((stats["peak_memory_bytes"] as? Int ?? 0) > 0)
        #expect(stats["instructions"] is Int)
        // The documented key order, so people reading it find what they expect where they expect it.
        let keys = ["\"ok\"", "\"result\"", "\"output\"", "\"output_truncated\"", "\"error\"", "\"calls\"", "\"stats\"", "\"permission_bypassed\""]
        let positions = keys.compactMap { result.stdout.range(of: $0)?.lowerBound }
        #expect(positions.count == keys.count && positions == positions.sorted())
        // No progress line, ever, with --json.
        #expect(!result.stderr.contains("\r"))
    }

    @Test func resultsOutputAndArguments() async throws {
        let (several, e1) = try await execJSON("print('a', 1) print('b') return 1, 'two', {x = {3, 4}}, nil")
        #expect(several.status == 0)
        #expect(e1["output"] as? String == "a\t1\nb\n")
        let values = e1["result"] as? [Any] ?? []
        #expect(values.count == 4)
        #expect(values.first as? Int == 1 && values[1] as? String == "two" && values.last is NSNull)
        let (_, none) = try await execJSON("local x = 1")
        #expect(none["ok"] as? Bool == true && none["result"] is NSNull)
        let withArgs = try await kosmo(["exec", "--json", "-", "p", "q"], stdin: "return table.concat({...}, '+')")
        #expect(envelope(withArgs)["result"] as? String == "p+q")
        let directory = try temporaryDirectory()
        try write("return select('#', ...)", to: directory + "/s.lua")
        #expect(envelope(try await kosmo(["exec", "--json", directory + "/s.lua", "1", "2", "3"]))["result"] as? Int == 3)
    }

    @Test func outputLimitMarksTruncation() async throws {
        let (result, e) = try await execJSON("for i = 1, 100 do print(('x'):rep(10)) end return 'done'", ["--output-limit", "25"])
        #expect(result.status == 0)
        #expect(e["output"] as? String == "xxxxxxxxxx\nxxxxxxxxxx\nxxx")
        #expect(e["output_truncated"] as? Bool == true)
        #expect(e["result"] as? String == "done")
    }

    @Test func scriptErrorsAreEnvelopesWithStatusOne() async throws {
        let (runtime, e1) = try await execJSON("local function f() error('boom') end\nf()")
        #expect(runtime.status == 1)
        #expect(e1["ok"] as? Bool == false)
        #expect(errorKind(e1) == "runtime")
        #expect(errorMessage(e1) == "stdin:1: boom")
        let traceback = (e1["error"] as? [String: Any])?["traceback"] as? String
        #expect(traceback?.contains("stack traceback:") == true)
        let (syntax, e2) = try await execJSON("return +")
        #expect(syntax.status == 1 && errorKind(e2) == "syntax")
        let (binary, e3) = try await execJSON("return '\\xff'")
        #expect(binary.status == 1 && errorMessage(e3).contains("not valid UTF-8"))
        let (_, e4) = try await execJSON("return 0/0")
        #expect(errorMessage(e4).contains("NaN"))
    }

    @Test func badUsageIsStatusTwo() async throws {
        let unknown = try await kosmo(["exec", "--json", "--frobnicate", "-"], stdin: "")
        #expect(unknown.status == 2)
        #expect(errorKind(envelope(unknown)) == "usage")
        #expect(errorMessage(envelope(unknown)).contains("--frobnicate"))
        let badValue = try await kosmo(["exec", "--write", "maybe", "-"], stdin: "")
        #expect(badValue.status == 2)
        #expect(badValue.stderr.contains("'maybe' is not a permission; use allow, ask or deny"))
        let missing = try await kosmo(["exec", "--json", "/nonexistent/x.lua"])
        #expect(missing.status == 2 && errorMessage(envelope(missing)).contains("cannot open /nonexistent/x.lua"))
        let help = try await kosmo(["exec", "--help"])
        #expect(help.status == 0 && help.stdout.hasPrefix("usage: kosmo-lua exec"))
    }

    @Test func withoutJSONOutputAndResultsGoToStdout() async throws {
        let ok = try await kosmo(["exec", "-"], stdin: "print('hi') return {a = 1}")
        #expect(ok.status == 0)
        #expect(ok.stdout == "hi\n{\"a\":1}\n")
        let failed = try await kosmo(["exec", "-"], stdin: "error('bad')")
        #expect(failed.status == 1)
        #expect(failed.stderr.hasPrefix("kosmo-lua: stdin:1: bad\nstack traceback:"))
    }

    /// Writes ask, and exec --json has no one to ask: the write is denied before any request,
    /// and the message names the flags that would allow it.
    @Test func deniedWriteIsAPermissionError() async throws {
        let (result, e) = try await execJSON("return replicate.run('replicate/hello-world', {text = 'x'})", ["--sim", "--write", "ask"])
        #expect(result.status == 1)
        #expect(errorKind(e) == "permission")
        #expect(errorMessage(e).contains("--allow run"))
        #expect(errorMessage(e).contains("--write allow"))
        #expect(calls(e).first?["decision"] as? String == "denied")
        #expect(calls(e).first?["status"] is NSNull)
        let (caught, e2) = try await execJSON("local ok, err = pcall(replicate.delete_model, 'a/b') return err.kind", ["--sim", "--write", "deny"])
        #expect(caught.status == 0 && e2["result"] as? String == "permission")
    }

    /// Against the simulator writes are allowed by default, but a write policy set anywhere stands.
    @Test func simulatorAllowsWritesUnlessAPolicyIsSet() async throws {
        let run = "return replicate.run('replicate/hello-world:\(Self.helloVersion)', {text = 'w'})"
        let (_, allowed) = try await execJSON(run, ["--sim"])
        #expect(allowed["result"] as? String == "hello w")
        #expect(calls(allowed).first?["decision"] as? String == "allowed")
        let (_, fromEnvironment) = try await execJSON(run, ["--sim"], environment: ["KOSMO_LUA_WRITE": "ask"])
        #expect(errorKind(fromEnvironment) == "permission")
        #expect(errorMessage(fromEnvironment).contains("(KOSMO_LUA_WRITE)"))
        let (_, perFunction) = try await execJSON(run, ["--sim", "--deny", "run"])
        #expect(errorKind(perFunction) == "permission")
    }

    @Test func forceIsRecorded() async throws {
        let (result, e) = try await execJSON("return replicate.run('replicate/hello-world:\(Self.helloVersion)', {text = 'f'})", ["--sim", "--force"])
        #expect(result.status == 0, "\(result.stdout)")
        #expect(e["result"] as? String == "hello f")
        #expect(e["permission_bypassed"] as? Bool == true)
        #expect(calls(e).contains { $0["decision"] as? String == "forced" })
    }

    /// exec's spend guard defaults to 20 creates; the 21st raises a limit error before any request.
    @Test func spendGuardDefaultsToTwenty() async throws {
        let code = """
            local n = 0
            local ok, err = pcall(function()
              for i = 1, 25 do
                replicate.create_prediction{version = "\(Self.helloVersion)", input = {text = tostring(i)}}
                n = n + 1
              end
            end)
            return n, err.kind, err.message
            """
        let (result, e) = try await execJSON(code, ["--sim"])
        #expect(result.status == 0, "\(result.stdout)")
        let values = e["result"] as? [Any] ?? []
        #expect(values.first as? Int == 20)
        #expect(values.count == 3 && values[1] as? String == "limit")
        #expect((values.last as? String ?? "").contains("--max-predictions 20"))
        let (_, raised) = try await execJSON(code, ["--sim", "--max-predictions", "2"])
        #expect((raised["result"] as? [Any])?.first as? Int == 2)
    }
}

/// The sandbox list from the host-core issue through `exec --json`: each ends with ok false, a
/// `limit` or `permission` error, an envelope even when the watchdog ends the process, and
/// within its deadline.
@Suite struct ExecSandboxTests {
    static let cases: [(code: String, kind: String, fragment: String)] = [
        ("while true do end", "limit", "time limit exceeded"),
        ("while true do pcall(function() while true do end end) end", "limit", "time limit exceeded"),
        ("coroutine.wrap(function() while true do end end)()", "limit", "time limit exceeded"),
        ("while true do xpcall(function() while true do end end, function() while true do end end) end", "limit", "time limit exceeded"),
        (#"local s = string.rep("x", 2^31)"#, "limit", "too large"),
        (#"local s = ("x"):rep(1e9)"#, "limit", "memory limit"),
        ("local t = {} for i = 1, 1e9 do t[i] = i end", "limit", "memory limit"),
        ("local s = 'x' while true do s = s .. s end", "limit", "memory limit"),
        ("local function f() return 1 + f() end f()", "limit", "memory limit"),
        ("assert(load(string.dump(function() end)))", "permission", "string.dump is not available in the sandbox"),
        (#"assert(load("\27Lua\84\0\25\147\13\10\26\10"))"#, "permission", "binary chunks are not allowed"),
        (#"assert(load(function() return "\27Lua" end))"#, "permission", "binary chunks are not allowed"),
        ("assert(load('return 1', 'x', 'b'))", "permission", "only text chunks"),
        ("os.execute('echo hi')", "permission", "os.execute is not available in the sandbox"),
        ("os.exit(0)", "permission", "os.exit is not available"),
        ("return os.getenv('HOME')", "permission", "os.getenv is not available"),
        ("io.open('/etc/passwd')", "permission", "global 'io' is not available in the sandbox"),
        ("require 'io'", "permission", "module 'io' is not available in the sandbox"),
        ("debug.getinfo(1)", "permission", "global 'debug' is not available"),
        ("package.loadlib('x', 'y')", "permission", "global 'package' is not available"),
        ("dofile('/etc/passwd')", "permission", "dofile is not available"),
        ("loadfile('/etc/passwd')", "permission", "loadfile is not available"),
        ("collectgarbage('collect')", "permission", "only \"count\""),
        ("string.dump(print)", "permission", "string.dump is not available"),
        ("setmetatable({}, {__gc = function() end})", "permission", "__gc metamethods are not allowed"),
        ("getmetatable('').__index = {}", "permission", "the string metatable cannot be changed"),
        ("string.format = nil", "permission", "cannot change the library table 'string'"),
        ("return replicate.upload('/etc/passwd')", "permission", "--allow-read"),
        (#"print((("a"):rep(1e5)):find(".-.-.-.-b"))"#, "limit", "the watchdog ended it"),
    ]

    @Test(arguments: cases.indices)
    func endsWithALimitOrPermissionError(_ index: Int) async throws {
        let (code, kind, fragment) = Self.cases[index]
        let (result, e) = try await execJSON(code, ["--sim", "--timeout", "2", "--memory", "32"])
        #expect(result.status == 1, "\(code): \(result.stdout) \(result.stderr)")
        #expect(e["ok"] as? Bool == false, "\(code)")
        #expect(errorKind(e) == kind, "\(code): \(errorKind(e) ?? "no kind") \(errorMessage(e))")
        #expect(errorMessage(e).contains(fragment), "\(code): \(errorMessage(e))")
        // Timeout (2 s) plus one second, plus half a second for starting a debug binary while
        // the rest of the suite loads both cores.
        #expect(result.seconds < 3.5, "\(code) took \(result.seconds) s")
    }

    @Test func instructionLimit() async throws {
        let (result, e) = try await execJSON("local x = 0 while true do x = x + 1 end", ["--instructions", "100000"])
        #expect(result.status == 1)
        #expect(errorKind(e) == "limit")
        #expect(errorMessage(e).contains("instruction limit exceeded"))
        #expect(((e["stats"] as? [String: Any])?["instructions"] as? Int ?? 0) >= 100_000)
    }

    /// The sandbox still offers what it promises.
    @Test func allowedThingsStillWork() async throws {
        let code = """
            local parts = {}
            parts[#parts + 1] = string.format('%d', 42)
            parts[#parts + 1] = ('abc'):upper()
            parts[#parts + 1] = tostring(getmetatable('').__index)
            parts[#parts + 1] = tostring(rawget(_G, 'io'))
            parts[#parts + 1] = tostring(undefined_global)
            parts[#parts + 1] = load('return 7')()
            parts[#parts + 1] = require('pretty').format({1})
            parts[#parts + 1] = type(os.time())
            return table.concat(parts, ' ')
            """
        let (result, e) = try await execJSON(code)
        #expect(result.status == 0, "\(result.stdout)")
        #expect(e["result"] as? String == "42 ABC nil nil nil 7 { 1 } number")
    }
}
