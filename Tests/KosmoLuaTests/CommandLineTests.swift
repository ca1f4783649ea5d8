import Foundation
import Testing

/// `lua5.4`'s command line, option by option, run as a user runs it.
@Suite struct CommandLineTests {
    @Test func versionNamesLua54() async throws {
        let result = try await kosmo(["-v"])
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("kosmo-lua "))
        #expect(result.stdout.contains("Lua 5.4"))
    }

    @Test func executeStatementsInOrderWithRequire() async throws {
        let directory = try temporaryDirectory()
        try write("return { name = 'mymod' }", to: directory + "/mymod.lua")
        let result = try await kosmo(["-e", "x = 1", "-l", "mymod", "-l", "m2=mymod", "-e", "print(x, mymod.name, m2.name)"],
                               environment: ["LUA_PATH": directory + "/?.lua"])
        #expect(result.stdout == "1\tmymod\tmymod\n")
        #expect(result.status == 0)
    }

    @Test func argTableAndVarargs() async throws {
        let directory = try temporaryDirectory()
        try write("print(...) for i = -2, #arg do io.write(tostring(arg[i]), '|') end print()", to: directory + "/s.lua")
        let result = try await kosmo(["-e", "y=1", directory + "/s.lua", "a", "b c"])
        #expect(result.stdout == "a\tb c\n\(Binaries.kosmo)|-e|y=1|\(directory)/s.lua|a|b c|\n" ||
                result.stdout.hasSuffix("-e|y=1|\(directory)/s.lua|a|b c|\n"))
        #expect(result.stdout.hasPrefix("a\tb c\n"))
    }

    @Test func doubleDashAndStdin() async throws {
        #expect(try await kosmo(["-", "p"], stdin: "print('from stdin', ...)").stdout == "from stdin\tp\n")
        #expect(try await kosmo([], stdin: "print(1 + 1)").stdout == "2\n")
        let directory = try temporaryDirectory()
        try write("print('dash script')", to: directory + "/-x.lua")
        #expect(try await kosmo(["--", "-x.lua"], directory: directory).stdout == "dash script\n")
    }

    @Test func luaInitAndIgnoringTheEnvironment() async throws {
        #expect(try await kosmo(["-e", "print(x)"], environment: ["LUA_INIT": "x = 'init'"]).stdout == "init\n")
        #expect(try await kosmo(["-e", "print(x)"], environment: ["LUA_INIT": "x = 'old'", "LUA_INIT_5_4": "x = 'new'"]).stdout == "new\n")
        let directory = try temporaryDirectory()
        try write("x = 'from file'", to: directory + "/init.lua")
        #expect(try await kosmo(["-e", "print(x)"], environment: ["LUA_INIT": "@" + directory + "/init.lua"]).stdout == "from file\n")
        #expect(try await kosmo(["-E", "-e", "print(x)"], environment: ["LUA_INIT": "x = 'init'"]).stdout == "nil\n")
        let path = try await kosmo(["-E", "-e", "print(package.path:find('/nowhere/', 1, true) ~= nil)"], environment: ["LUA_PATH": "/nowhere/?.lua"])
        #expect(path.stdout == "false\n")
    }

    @Test func warningsFlag() async throws {
        #expect(try await kosmo(["-W", "-e", "warn('careful')"]).stderr == "Lua warning: careful\n")
        #expect(try await kosmo(["-e", "warn('careful')"]).stderr == "")
    }

    @Test func shebangLineIsSkippedAndLineNumbersKept() async throws {
        let directory = try temporaryDirectory()
        try write("#!/usr/bin/env kosmo-lua\nprint('ok')\nerror('line three')", to: directory + "/s.lua")
        let result = try await kosmo([directory + "/s.lua"])
        #expect(result.stdout == "ok\n")
        #expect(result.stderr.hasPrefix("kosmo-lua: \(directory)/s.lua:3: line three\nstack traceback:"))
        #expect(result.status == 1)
    }

    @Test func emptyInputsRunAsEmptyChunks() async throws {
        let directory = try temporaryDirectory()
        try write("#!/usr/bin/env kosmo-lua", to: directory + "/only-shebang.lua")
        try write("", to: directory + "/empty.lua")
        for arguments in [[directory + "/only-shebang.lua"], [directory + "/empty.lua"], ["-e", ""]] {
            let result = try await kosmo(arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            #expect(result.stdout.isEmpty && result.stderr.isEmpty)
        }
    }

    @Test func uncaughtErrorsGoToStderrWithATraceback() async throws {
        let result = try await kosmo(["-e", "local function f() error('boom') end f()"])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("kosmo-lua: (command line):1: boom\nstack traceback:\n\t[C]: in function 'error'"))
        #expect(result.stderr.contains("in local 'f'"))
    }

    @Test func badOptionsPrintUsage() async throws {
        let result = try await kosmo(["-z"])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("kosmo-lua: unrecognized option '-z'\nusage: kosmo-lua"))
        #expect(try await kosmo(["-e"]).stderr.hasPrefix("kosmo-lua: '-e' needs argument"))
        #expect(try await kosmo(["--memory", "lots", "-e", ""]).stderr.contains("'--memory' needs a positive number of megabytes, got 'lots'"))
        #expect(try await kosmo(["nofile.lua"]).stderr == "kosmo-lua: cannot open nofile.lua: No such file or directory\n")
    }

    @Test func aScriptNamedLikeASubcommandRunsAsDotSlash() async throws {
        let directory = try temporaryDirectory()
        try write("print('script named exec')", to: directory + "/exec")
        #expect(try await kosmo(["./exec"], directory: directory).stdout == "script named exec\n")
    }

    @Test func prettyModuleIsBuiltIn() async throws {
        let result = try await kosmo(["-e", "print(require('pretty').format({1, {a = 'x'}, b = true}))"])
        #expect(result.stdout == "{ 1, { a = \"x\" }, b = true }\n")
    }

    @Test func aSimulatorOnAPortInUseSaysSo() async throws {
        let first = try await SimProcess.start()
        defer { _ = first.stop() }
        let port = try #require(URL(string: first.baseURL)?.port)
        let second = try await kosmo(["sim", "--port", String(port)])
        #expect(second.status == 1)
        #expect(second.stderr.contains("port \(port) on 127.0.0.1 is already in use"), "\(second.stderr)")
        #expect(second.stderr.contains("port 0 picks a free one"))
    }
}

/// The sandbox list from the host-core issue, through the binary: each ends non-zero with a
/// clear limit or availability error, within the timeout plus one second.
@Suite struct SandboxCommandLineTests {
    static let cases: [(code: String, expected: String)] = [
        ("while true do end", "time limit exceeded"),
        ("while true do pcall(function() while true do end end) end", "time limit exceeded"),
        ("coroutine.wrap(function() while true do end end)()", "time limit exceeded"),
        ("while true do xpcall(function() while true do end end, function() while true do end end) end", "time limit exceeded"),
        (#"local s = string.rep("x", 2^31)"#, "too large"),
        ("local t = {} for i = 1, 1e9 do t[i] = i end", "memory limit"),
        ("local s = 'x' while true do s = s .. s end", "memory limit"),
        ("local function f() return 1 + f() end f()", "memory limit"),
        ("assert(load(string.dump(function() end)))", "dump"),
        (#"assert(load("\27Lua\84\0\25\147\13\10\26\10"))"#, "binary chunk"),
        ("os.execute('echo hi')", "execute"),
        ("io.open('/etc/passwd')", "global 'io'"),
        ("require 'io'", "module 'io' is not available in the sandbox"),
        ("debug.getinfo(1)", "global 'debug'"),
        ("package.loadlib('x', 'y')", "global 'package'"),
        ("string.dump(print)", "dump"),
        ("setmetatable({}, {__gc = function() end})", "__gc metamethods are not allowed"),
        ("getmetatable('').__index = {}", "the string metatable cannot be changed in the sandbox"),
        (#"print((("a"):rep(1e5)):find(".-.-.-.-b"))"#, "the watchdog ended it"),
    ]

    @Test(arguments: cases.indices)
    func endsWithAClearError(_ index: Int) async throws {
        let (code, expected) = Self.cases[index]
        let result = try await kosmo(["--sandbox", "--timeout", "2", "--memory", "32", "-e", code], timeout: 30)
        #expect(result.status == 1, "\(code)")
        #expect(result.stderr.contains(expected), "\(code): \(result.stderr)")
        // Timeout (2 s) plus one second, plus half a second for starting a debug binary while
        // the rest of the suite loads both cores.
        #expect(result.seconds < 3.5, "\(code) took \(result.seconds) s")
    }

    @Test func instructionLimit() async throws {
        let result = try await kosmo(["--sandbox", "--instructions", "100000", "-e", "local x = 0 while true do x = x + 1 end"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("instruction limit exceeded (100000 instructions)"))
    }

    @Test func sandboxOutputIsCapped() async throws {
        let result = try await kosmo(["--sandbox", "-e", "for i = 1, 100000 do print(('x'):rep(100)) end"])
        #expect(result.stdout.utf8.count == 64 * 1024)
        #expect(result.status == 0)
    }
}
