import Foundation
import Testing
@testable import LuaHost

/// The host-core sandbox list: each case ends with a clear limit or availability error.
@Suite struct SandboxTests {
    let limits = Limits(memoryBytes: 16 << 20, timeoutSeconds: 1, outputBytes: 1024)

    func expectLimit(_ code: String, _ fragment: String, limits: Limits? = nil, sourceLocation: SourceLocation = #_sourceLocation) async {
        let start = Date()
        let limits = limits ?? self.limits
        let error = await failure(code, profile: .sandbox, limits: limits)
        #expect(error?.kind == .limit, "\(code): \(String(describing: error))", sourceLocation: sourceLocation)
        #expect(error?.message.contains(fragment) == true, "\(code): \(error?.message ?? "no error")", sourceLocation: sourceLocation)
        #expect(Date().timeIntervalSince(start) < (limits.timeoutSeconds ?? 1) + 1, sourceLocation: sourceLocation)
    }

    func expectUnavailable(_ code: String, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) async {
        let error = await failure(code, profile: .sandbox, limits: limits)
        #expect(error != nil, "\(code) should fail", sourceLocation: sourceLocation)
        #expect(error?.message.contains(fragment) == true, "\(code): \(error?.message ?? "no error")", sourceLocation: sourceLocation)
    }

    @Test func endlessLoops() async {
        await expectLimit("while true do end", "time limit exceeded")
        await expectLimit("while true do pcall(function() while true do end end) end", "time limit exceeded")
        await expectLimit("local co = coroutine.wrap(function() while true do end end) co()", "time limit exceeded")
        await expectLimit("while true do xpcall(function() while true do end end, function() while true do end end) end", "time limit")
    }

    @Test func instructionBudget() async {
        let error = await failure("local x = 0 while true do x = x + 1 end", profile: .sandbox, limits: Limits(instructions: 100_000))
        #expect(error?.kind == .limit)
        #expect(error?.message.contains("instruction limit exceeded") == true)
    }

    @Test func memory() async {
        // A generous deadline, so only the memory limit can end these.
        let limits = Limits(memoryBytes: 16 << 20, timeoutSeconds: 20)
        await expectLimit("local t = {} for i = 1, 1e9 do t[i] = i end", "memory limit", limits: limits)
        await expectLimit("local s = 'x' while true do s = s .. s end", "memory limit", limits: limits)
        await expectLimit("local t = {} while true do t[#t + 1] = ('x'):rep(1024) .. #t end", "memory limit", limits: limits)
        await expectLimit("local function f() return 1 + f() end return f()", "memory limit", limits: limits)
        let rep = await failure(#"return string.rep("x", 2^31)"#, profile: .sandbox, limits: limits)
        #expect(rep?.message.contains("too large") == true || rep?.kind == .limit)
    }

    @Test func unavailableLibraries() async {
        await expectUnavailable("return load(string.dump(function() end))", "dump")
        await expectUnavailable(#"return assert(load("\27Lua\84\0"))"#, "binary chunk")
        await expectUnavailable(#"return load("return 1", "x", "b")"#, "only text chunks")
        await expectUnavailable("os.execute('true')", "execute")
        await expectUnavailable("io.open('/etc/passwd')", "global 'io'")
        await expectUnavailable("require 'io'", "not available in the sandbox")
        await expectUnavailable("debug.getinfo(1)", "global 'debug'")
        await expectUnavailable("package.loadlib('x', 'y')", "global 'package'")
        await expectUnavailable("dofile('/etc/passwd')", "dofile")
        await expectUnavailable("loadfile('/etc/passwd')", "loadfile")
        await expectUnavailable("collectgarbage('collect')", "only \"count\"")
        await expectUnavailable("os.exit(0)", "exit")
        await expectUnavailable("os.getenv('HOME')", "getenv")
    }

    @Test func protectedMetatablesAndLibraries() async {
        await expectUnavailable("setmetatable({}, {__gc = function() end})", "__gc")
        await expectUnavailable("getmetatable('').__index = {}", "the string metatable cannot be changed")
        await expectUnavailable("string.format = nil", "cannot change the library table 'string'")
        await expectUnavailable("json.encode = nil", "cannot change the library table 'json'")
        #expect(text(try! await run("local n = 0 for k in pairs(string) do n = n + 1 end return n > 10", profile: .sandbox)) == "true")
        #expect(text(try! await run("return ('abc'):upper()", profile: .sandbox)) == "ABC")
        #expect(text(try! await run("return collectgarbage('count') > 0", profile: .sandbox)) == "true")
    }

    @Test func textLoadStillWorks() async throws {
        #expect(text(try await run("return load('return 1 + 2')()", profile: .sandbox)) == "3")
        #expect(text(try await run("return require('pretty').format({1, 2})", profile: .sandbox)) == "{ 1, 2 }")
    }

    @Test func outputIsCappedAndMarkedTruncated() async throws {
        let vm = try makeVM(profile: .sandbox, limits: Limits(outputBytes: 10))
        _ = try vm.run(Array("for i = 1, 100 do print('line', i) end".utf8), chunkName: "=p")
        #expect(vm.output.text == "line\t1\nlin")
        #expect(vm.output.truncated)
        #expect(vm.output.total == 10)
    }

    @Test func standardProfileHasAllLibraries() async throws {
        #expect(text(try await run("return type(io.open) .. type(os.execute) .. type(debug.traceback) .. type(package.loadlib) .. type(string.dump) .. type(dofile)")) == "functionfunctionfunctionfunctionfunctionfunction")
    }
}
