import AgentMode
import Foundation
import Testing

/// Attacks on the host core through the built binary: the metatables it hands to scripts,
/// finalizers at shutdown, memory the host spends on a script's behalf (JSON text, decoded
/// documents, compiling), and the sandbox's read-only views. Each asserts the safe behaviour.
@Suite("Host hardening: metatables, finalizers, memory the host spends, views")
struct HostHardeningTests {
    /// Runs `kosmo-lua ARGS` under GNU time and returns the result with the peak RSS in MiB.
    static func measured(_ arguments: [String], stdin: String? = nil, environment: [String: String] = [:],
                         timeout: Double = 30) async throws -> (ProcessResult, rssMiB: Double) {
        var result = try await runProcess("/usr/bin/time", ["-f", "kosmo-peak-rss-kb:%M", Binaries.kosmo] + arguments,
                                          stdin: stdin, environment: environment, timeout: timeout)
        var rss = -1.0
        if let range = result.stderr.range(of: "kosmo-peak-rss-kb:", options: .backwards) {
            let digits = result.stderr[range.upperBound...].prefix { $0.isNumber }
            rss = (Double(digits) ?? -1) / 1024
            result.stderr = String(result.stderr[..<range.lowerBound])
        }
        // GNU time reports a child ended by a signal on stderr and exits 128+N itself.
        return (result, rss)
    }

    /// The host's own peak RSS for a trivial `exec --json` run: the baseline the limits add to.
    static func baselineMiB() async throws -> Double {
        let (result, rss) = try await measured(["exec", "--json", "-"], stdin: "return 1")
        #expect(result.status == 0 && rss > 0, "\(result.stderr)")
        return rss
    }

    static func json(_ result: ProcessResult) -> [String: Any] {
        let line = result.stdout.split(separator: "\n").first.map(String.init) ?? ""
        return (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]) ?? [:]
    }

    // MARK: Metatables the host hands out

    @Test("Every metatable the host hands to scripts is protected", arguments: [
        "json.array{}", "json.object{}", "json.decode('[1]')",
        "select(2, pcall(replicate.get_model, {}))",
    ])
    func protectedMetatables(_ value: String) async throws {
        let code = """
            local v = \(value)
            local mt = getmetatable(v)
            assert(type(mt) == "string", "getmetatable gave a " .. type(mt))
            local ok = pcall(setmetatable, v, {__len = function() return 1e9 end})
            assert(not ok, "setmetatable replaced a host metatable")
            return mt
            """
        for flags in [["--sim"], ["--sim", "--sandbox"]] {
            let result = try await kosmo(flags + ["-e", "print((function() \(code) end)())"])
            #expect(result.status == 0, "\(flags) \(value): \(result.stderr)")
            #expect(["json.array\n", "json.object\n", "replicate.error\n"].contains(result.stdout), "\(flags) \(value): \(result.stdout)")
        }
    }

    @Test("The attack: a __gc put on the shared array marker; the run ends in time and nothing hangs")
    func markerFinalizerAttack() async throws {
        let attack = """
            local mt = getmetatable(json.array{})
            mt.__gc = function() while true do end end
            for i = 1, 1000 do json.decode('[1,2,3]') end
            return "survived"
            """
        let cli = try await kosmo(["--sandbox", "--timeout", "2", "-e", attack], timeout: 20)
        #expect(cli.status == 1, "\(cli.stderr)")
        #expect(cli.seconds < 3.5, "took \(cli.seconds) s")
        #expect(cli.stderr.contains("attempt to index a string value"), "\(cli.stderr)")

        let exec = try await kosmo(["exec", "--json", "--timeout", "2", "-"], stdin: attack, timeout: 20)
        #expect(exec.seconds < 3.5, "took \(exec.seconds) s")
        let envelope = envelope(exec)
        #expect(envelope["ok"] as? Bool == false)
        #expect(errorKind(envelope) == "runtime", "\(envelope)")
        // The length of a decoded array cannot be changed through its marker either.
        let (_, length) = try await execJSON("pcall(function() getmetatable(json.array{}).__len = function() return 1e9 end end) return #json.decode('[1,2,3]')")
        #expect(length["result"] as? Int == 3, "\(length)")
    }

    @Test("Through the MCP server: the marker attack and an oversized encoding are ordinary errors, promptly")
    func throughMCP() async throws {
        try await onThread {
            let session = try MCPSession(["mcp", "--sim"])
            defer { session.close() }
            _ = try session.initialize()
            let started = Date()
            let (attack, _) = try session.execute("local mt = getmetatable(json.array{}) mt.__gc = function() while true do end end",
                                                  ["timeout_seconds": 2])
            #expect(Date().timeIntervalSince(started) < 3.5)
            #expect(errorKind(attack) == "runtime", "\(attack)")
            let (encode, _) = try session.execute("local s = ('x'):rep(1 << 20) local t = {} for i = 1, 1500 do t[i] = s end return json.encode(t)",
                                                  ["memory_mb": 64])
            #expect(errorKind(encode) == "limit", "\(encode)")
            let (good, _) = try session.execute("return json.encode(json.array{1, 2})")
            #expect(good["ok"] as? Bool == true && good["result"] as? String == "[1,2]", "\(good)")
        }
    }

    @Test("Finalizers at shutdown run under the run's limits, and cannot call the API")
    func finalizersAtShutdown() async throws {
        let baseline = try await Self.baselineMiB()
        // The standard profile allows __gc; at close it still runs under --timeout and --memory.
        let looping = "setmetatable({}, {__gc = function() while true do end end}) print('ran')"
        let (loop, _) = try await Self.measured(["--timeout", "2", "-e", looping], timeout: 20)
        #expect(loop.stdout == "ran\n")
        #expect(loop.seconds < 3.5, "a looping finalizer at close ran for \(loop.seconds) s")
        #expect(loop.status < 128, "ended by a signal: \(loop.stderr)")

        let growing = "setmetatable({}, {__gc = function() local t = {} for i = 1, 1e9 do t[i] = ('x'):rep(64) .. i end end}) print('ran')"
        let (grow, rss) = try await Self.measured(["--memory", "16", "--timeout", "10", "-e", growing], timeout: 30)
        #expect(grow.stdout == "ran\n")
        #expect(grow.status < 128, "ended by a signal: \(grow.stderr)")
        #expect(!Sanitizer.boundsMemory || rss < 2 * 16 + baseline, "a finalizer at close grew to \(rss) MiB (limit 16 MiB, baseline \(baseline) MiB)")

        // A finalizer at close that tries to create a prediction: refused, nothing reaches the API.
        let sim = try await SimProcess.start()
        defer { sim.stop() }
        let spender = """
            kept = setmetatable({}, {__gc = function()
              replicate.create_model_prediction{model_owner = "sim", model_name = "echo", input = {text = "after the end"}}
            end})
            print(replicate.get_account().username)
            """
        let spend = try await kosmo(["--allow", "create_model_prediction", "-e", spender],
                                    environment: ["REPLICATE_URL": sim.baseURL, "REPLICATE_API_TOKEN": "r8_test"], timeout: 20)
        #expect(spend.status == 0, "\(spend.stderr)")
        let log = try await sim.fetch("/_sim/requests")
        #expect(log.contains("account"), "the request log has no account call: \(log.prefix(400))")
        #expect(!log.contains("predictions"), "a finalizer at close created a prediction: \(log.prefix(800))")
    }

    // MARK: Memory the host spends for a script

    // A result is cut at its own cap (64 KiB by default, at most 16 MiB) before the memory
    // limit could bind, so the result case runs with a memory limit below its cap.
    @Test("JSON text, results, arguments and decoded documents count against the memory limit", arguments: [
        ("json.encode", "local s = ('x'):rep(1 << 20) local t = {} for i = 1, 1500 do t[i] = s end return #json.encode(t)", ["--memory", "64"]),
        ("result", "local s = ('x'):rep(1 << 20) local t = {} for i = 1, 4000 do t[i] = s end return t",
         ["--memory", "8", "--result-limit", "16777216"]),
        ("arguments", "local s = ('x'):rep(1 << 20) local t = {} for i = 1, 1500 do t[i] = s end return replicate.run('sim/echo', {text = t})",
         ["--memory", "64"]),
        ("json.decode", "local s = '[' .. ('1,'):rep(8 * 1000 * 1000) .. '1]' return #json.decode(s)", ["--memory", "64"]),
    ])
    func hostBuffersAreLimited(_ name: String, _ code: String, _ limits: [String]) async throws {
        let baseline = try await Self.baselineMiB()
        let (result, rss) = try await Self.measured(["exec", "--sim", "--json"] + limits + ["--timeout", "5", "-"],
                                                    stdin: code, timeout: 60)
        #expect(result.status == 1, "\(name): \(result.stderr)")
        // Within the time limit plus one second (and half a second for a debug binary's start).
        #expect(result.seconds < 6.5, "\(name) took \(result.seconds) s")
        let envelope = Self.json(result)
        #expect(envelope["ok"] as? Bool == false, "\(name): \(result.stdout.prefix(300))")
        #expect(errorKind(envelope) == "limit", "\(name): \(envelope["error"] ?? "")")
        #expect(errorMessage(envelope).contains("memory"), "\(name): \(errorMessage(envelope))")
        #expect(!Sanitizer.boundsMemory || rss < 2 * 64 + baseline, "\(name): peak RSS \(rss) MiB (limit 64 MiB, baseline \(baseline) MiB)")
        #expect(calls(envelope).allSatisfy { $0["status"] as? Int == nil || $0["function"] as? String != "run" },
                "\(name): a call was sent with arguments past the limit: \(calls(envelope))")
    }

    @Test("Compiling counts toward the memory and time limits")
    func compileIsLimited() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/big.lua"
        // 48 MB of distinct string constants.
        let tail = String(repeating: "y", count: 4000) + "\"\n"
        var source = ""
        source.reserveCapacity(12_000 * 4020)
        for i in 0..<12_000 { source += "_ = \"\(i)" + tail }
        try source.write(toFile: path, atomically: true, encoding: .utf8)

        let (memory, rss) = try await Self.measured(["exec", "--json", "--memory", "16", "--timeout", "5", path], timeout: 60)
        let memoryEnvelope = Self.json(memory)
        #expect(errorKind(memoryEnvelope) == "limit", "\(memoryEnvelope)")
        #expect(errorMessage(memoryEnvelope).contains("memory"), "\(errorMessage(memoryEnvelope))")
        // The 48 MB source is the host's input, read whole; the compile adds at most the limit.
        #expect(!Sanitizer.boundsMemory || rss < 48 + 2 * 16 + 64, "compiling under --memory 16 peaked at \(rss) MiB")

        // Many small constants (each a new entry in the constant table) compile slowly: the
        // deadline stops the parser between pieces of the source.
        let slowPath = directory + "/slow.lua"
        var text = "local t = {"
        for i in 0..<4_000_000 { text += "\"k\(i)\"," }
        text += "}\n"
        try text.write(toFile: slowPath, atomically: true, encoding: .utf8)
        let slow = try await kosmo(["exec", "--json", "--memory", "1024", "--timeout", "0.2", slowPath], timeout: 60)
        let slowEnvelope = envelope(slow)
        #expect(slow.seconds < 1.7, "compiling ran \(slow.seconds) s past a 0.2 s limit")
        #expect(errorKind(slowEnvelope) == "limit", "\(slowEnvelope)")
        #expect(errorMessage(slowEnvelope).contains("time limit exceeded"), "\(errorMessage(slowEnvelope))")
    }

    // MARK: Numbers from scripts

    /// Extreme numbers in every argument slot and option of every `replicate` function: each
    /// call may fail with an error, but the process must live (a conversion that traps would
    /// end it with SIGILL). The output names the last call tried, so a crash points at it.
    @Test("Extreme numbers in every function's arguments and options are errors, never a crash")
    func extremeNumbersEverywhere() async throws {
        let code = #"""
            local values = {1e300, -1e300, 2^63, -2^63, math.maxinteger, math.mininteger, 0.5, -1, 0, 1e-300}
            local numeric = {"max_instances", "min_instances", "expiry", "limit", "timestamp", "tolerance",
              "timeout", "wait", "cancel_after", "concurrency", "seconds"}
            local skip = {help = true, map = true, all = true, paginate = true, stream = true}
            local names = {}
            for name in pairs(replicate) do
              if not name:find("^replicate_") and not skip[name] and type(replicate[name]) == "function" then names[#names + 1] = name end
            end
            table.sort(names)
            local tried = 0
            local function try(label, f, ...)
              print(label)
              pcall(f, ...)
              tried = tried + 1
            end
            for _, name in ipairs(names) do
              local f = replicate[name]
              for _, v in ipairs(values) do
                local args = {model_owner = "sim", model_name = "echo", prediction_id = "p", training_id = "t",
                  deployment_owner = "sim", deployment_name = "d", file_id = "f", owner = "o", signature = "s",
                  query = "q", name = "n", hardware = "cpu", version = "v", version_id = "v", collection_slug = "c",
                  input = {text = "x", seconds = v}}
                for _, n in ipairs(numeric) do args[n] = v end
                try(name .. " " .. tostring(v) .. " alone", f, v)
                try(name .. " " .. tostring(v) .. " in every argument", f, args)
                try(name .. " " .. tostring(v) .. " in every option", f, "sim/echo", {text = "x"},
                  {timeout = v, wait = v, cancel_after = v})
              end
            end
            for _, v in ipairs(values) do
              try("map " .. tostring(v), replicate.map, {1, 2}, function(x) return x end, {concurrency = v})
              try("paginate " .. tostring(v), function() for _ in replicate.paginate("list_predictions", {limit = v}) do break end end)
              try("stream " .. tostring(v), function() for _ in replicate.stream("sim/echo", {text = "x"}, {timeout = v, wait = v}) do end end)
              try("webhooks.sign " .. tostring(v), replicate.webhooks.sign, {id = "a", timestamp = v, body = "b", secret = "whsec_eA=="})
              try("webhooks.verify " .. tostring(v), replicate.webhooks.verify, {body = "b", secret = "whsec_eA==", tolerance = v,
                headers = {["webhook-id"] = "a", ["webhook-timestamp"] = string.format("%.0f", v), ["webhook-signature"] = "v1,x"}})
            end
            print("alive after " .. tried .. " calls")
            """#
        let result = try await kosmo(["exec", "--sim", "--timeout", "120", "--max-predictions", "10000", "-"], stdin: code, timeout: 150)
        let lines = result.stdout.split(separator: "\n")
        #expect(result.status == 0, "exit \(result.status) after: \(lines.last ?? "") \(result.stderr.prefix(600))")
        #expect(lines.last?.hasPrefix("alive after ") == true, "stopped after: \(lines.suffix(2)) \(result.stderr.prefix(600))")
    }

    @Test("The simulator takes a page cursor past any offset as an empty page")
    func hostileCursor() async throws {
        let cursor = Data("o:\(Int.max)".utf8).base64EncodedString().replacingOccurrences(of: "=", with: "")
        let (result, e) = try await execJSON("local page = replicate.list_predictions{cursor = '\(cursor)'} return #page.results", ["--sim"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(e["result"] as? Int == 0, "\(e)")
    }

    @Test("An approval-channel line past its cap is read to its end and dropped, and the next line is whole")
    func approvalLinesAreCapped() throws {
        var fds: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        let writeEnd = fds[1]
        let writer = Thread {
            _ = FileDescriptorIO.writeAll(writeEnd, Array(String(repeating: "x", count: 300_000).utf8) + [10] + Array("yes\n".utf8))
        }
        writer.start()
        let first = try #require(FileDescriptorIO.readLine(fds[0]))
        #expect(first.utf8.count == FileDescriptorIO.maxLineBytes)
        #expect(ApprovalChannel.Question(line: first) == nil)
        #expect(FileDescriptorIO.readLine(fds[0]) == "yes")
    }

    // MARK: Views, markers, kinds, arg, sizes

    @Test("pairs over a read-only view never hands out the real table")
    func viewsStayClosed() async throws {
        let code = """
            local out = {}
            for _, lib in ipairs {"string", "table", "math", "json", "replicate", "replicate.webhooks"} do
              local view = lib == "replicate.webhooks" and replicate.webhooks or _G[lib]
              local _, state = pairs(view)
              local n = 0
              for k in pairs(view) do n = n + 1 end
              local changed = pcall(function() state.format = "evil" end)
              out[#out + 1] = lib .. ":" .. tostring(rawequal(state, view)) .. ":" .. tostring(n > 0) .. ":" .. tostring(changed)
            end
            return table.concat(out, " ")
            """
        let (result, e) = try await execJSON(code, ["--sim"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(e["result"] as? String == "string:true:true:false table:true:true:false math:true:true:false json:true:true:false replicate:true:true:false replicate.webhooks:true:true:false", "\(e)")
        let format = try await execJSON("local _, s = pairs(string) pcall(rawset, s, 'format', nil) return ('%d'):format(7)")
        #expect(format.1["result"] as? String == "7")
    }

    @Test("json.object and json.array keep a protected metatable protected")
    func markingProtectedTables() async throws {
        let (_, e) = try await execJSON("json.object(_G)")
        #expect(errorMessage(e).contains("cannot mark a table whose metatable is protected"), "\(e)")
        let (_, after) = try await execJSON("pcall(json.object, _G) pcall(json.array, string) return io")
        #expect(errorKind(after) == "permission", "_G lost its metatable: \(after)")
        #expect(errorMessage(after).contains("global 'io' is not available in the sandbox"), "\(after)")
        // Re-marking the script's own tables still works both ways.
        let (_, remark) = try await execJSON("return json.encode(json.object(json.array{}))")
        #expect(remark["result"] as? String == "{}")
    }

    @Test("An error table a script made carries kind runtime; the host's keep their kind")
    func errorKinds() async throws {
        let (_, forged) = try await execJSON("error{kind = 'permission', message = 'forged'}")
        #expect(errorKind(forged) == "runtime", "\(forged)")
        let (_, changed) = try await execJSON("local ok, e = pcall(replicate.get_model, {}) e.kind = 'limit' error(e)", ["--sim"])
        #expect(errorKind(changed) == "validation", "\(changed)")
        let (_, caught) = try await execJSON("local ok, e = pcall(error, {kind = 'permission', code = 7}) return e.code", ["--sim"])
        #expect(caught["result"] as? Int == 7)
        let (_, refusal) = try await execJSON("io.write('x')")
        #expect(errorKind(refusal) == "permission", "\(refusal)")
    }

    @Test("The sandbox's arg holds the script and its arguments, not the host's command line")
    func sandboxArg() async throws {
        let show = "local keys = {} for k, v in pairs(arg) do keys[#keys + 1] = tostring(k) .. '=' .. v end table.sort(keys) print(table.concat(keys, ' '))"
        let inline = try await kosmo(["--sandbox", "--timeout", "5", "-e", show])
        #expect(inline.stdout == "\n", "\(inline.stdout)")
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try show.write(toFile: directory + "/s.lua", atomically: true, encoding: .utf8)
        let script = try await kosmo(["--sandbox", "--timeout", "5", directory + "/s.lua", "a", "b"])
        #expect(script.stdout == "0=\(directory)/s.lua 1=a 2=b\n", "\(script.stdout)")
        #expect(!script.stdout.contains(Binaries.kosmo))
        // The standard profile keeps lua.c's layout: with no script, the interpreter at 0.
        let standard = try await kosmo(["-e", "print(arg[0], arg[1])"])
        #expect(standard.stdout == "\(Binaries.kosmo)\t-e\n", "\(standard.stdout)")
    }

    @Test("string.rep sizes cannot wrap around the check", arguments: [
        #"string.rep("abcd", 2^62)"#, #"string.rep("abcd", math.maxinteger)"#, #"string.rep("a", 2^62, "bc")"#,
        #"string.rep("", 2^62, "x")"#, #"("ab"):rep(2^61 + 1)"#,
    ])
    func stringRepWrapAround(_ call: String) async throws {
        let result = try await kosmo(["--sandbox", "--timeout", "2", "--memory", "32", "-e", "local s = " + call], timeout: 20)
        #expect(result.status == 1, "\(call): \(result.stderr)")
        #expect(result.stderr.contains("too large"), "\(call): \(result.stderr)")
        #expect(result.seconds < 3.5)
    }

    @Test("Repeating nothing a huge number of times is nothing, at once")
    func stringRepOfNothing() async throws {
        let empty = try await kosmo(["--sandbox", "--timeout", "2", "-e", #"print(#string.rep("", 2^62), #(""):rep(math.maxinteger, ""))"#], timeout: 20)
        #expect(empty.stdout == "0\t0\n", "\(empty.stderr)")
        #expect(empty.seconds < 2)
    }
}
