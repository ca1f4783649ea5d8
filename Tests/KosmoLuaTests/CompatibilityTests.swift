import Foundation
import Testing

/// In the standard profile a script behaves as under `lua5.4`: same libraries, same results,
/// same error messages, same `arg`.
@Suite struct CompatibilityTests {
    static let scripts: [String: String] = [
        "strings": #"""
            print(("hello"):upper(), #"héllo", string.format("%q|%5.2f|%x|%s", "a\nb", math.pi, 255, nil))
            print(("a,b,,c"):gsub(",", ";"), ("key=value"):match("(%w+)=(%w+)"))
            for w in ("one two three"):gmatch("%a+") do io.write(w, ".") end print()
            print(string.pack(">I2", 258):byte(1, -1), utf8.char(72, 233, 8364), utf8.len("héllo"))
            print(tostring(1e15), tostring(2^63), 7 // 2, 7 / 2, -7 % 3, math.maxinteger, math.mininteger, 3 | 5, 1 << 62)
            print(math.type(1), math.type(1.0), math.type("1"), 10 == 10.0, "10" + 5, 0.1 + 0.2)
            """#,
        "tables": #"""
            local t = {5, 3, 8, 1}
            table.sort(t) print(table.concat(t, " "))
            table.sort(t, function(a, b) return a > b end) print(table.concat(t, " "))
            table.insert(t, 2, 99) print(table.concat(t, " "), #t, select("#", table.unpack(t)))
            print(table.unpack(table.move({1, 2, 3}, 1, 3, 2)))
            local mt = setmetatable({}, {__index = function(_, k) return k .. "!" end, __len = function() return 42 end})
            print(mt.x, #mt, rawlen(mt), rawequal(mt, mt), next({}))
            """#,
        "control": #"""
            local co = coroutine.create(function(a) local b = coroutine.yield(a + 1) return b * 2 end)
            print(coroutine.resume(co, 1)) print(coroutine.resume(co, 10)) print(coroutine.resume(co))
            print(coroutine.isyieldable(), select(2, coroutine.running()))
            for i = 1, 3 do if i == 2 then goto continue end io.write(i, " ") ::continue:: end print()
            do local x <close> = setmetatable({}, {__close = function() print("closed") end}) end
            print(select("#", nil, nil), select(2, "a", "b", "c"))
            print(load("return 1 + ...")(41), load("syntax error here"))
            print(pcall(error, {code = 1}), pcall(error, "msg", 0), pcall(error))
            print(xpcall(function() error("deep") end, function(m) return "handled: " .. m end))
            print(string.format("%s", setmetatable({}, {__tostring = function() return "T!" end})))
            print(type(io.write), type(os.time()), os.date("!%Y", 0), os.getenv("NO_SUCH_VAR_KOSMO"))
            print(#arg, arg[0] ~= nil, ...)
            """#,
        "runtimeError": #"""
            local t = nil
            print("before")
            print(t.field)
            """#,
        "errorObject": #"error({code = 42})"#,
        "errorWithLevel": #"""
            local function check(x) if not x then error("check failed", 2) end end
            check(false)
            """#,
        "syntaxError": "x = = 1",
        "exitCode": "io.write('bye') os.exit(3)",
        "exitTrue": "os.exit(true)",
        "exitFalse": "os.exit(false)",
    ]

    /// `lua5.4: ` becomes `kosmo-lua: `; the outermost `[C]: in ?` frame (lua.c's own C frame) is dropped.
    func normalise(_ stderr: String, script: String) -> String {
        stderr.replacingOccurrences(of: Binaries.lua + ": ", with: "kosmo-lua: ")
            .split(separator: "\n", omittingEmptySubsequences: false)
            .filter { $0 != "\t[C]: in ?" }
            .joined(separator: "\n")
    }

    @Test(arguments: scripts.keys.sorted())
    func sameAsLua(_ name: String) async throws {
        let directory = try temporaryDirectory()
        let path = directory + "/\(name).lua"
        try write(Self.scripts[name] ?? "", to: path)
        let expected = try await runProcess(Binaries.lua, [path, "x", "y"], directory: directory)
        let actual = try await kosmo([path, "x", "y"], directory: directory)
        #expect(actual.stdout == expected.stdout)
        #expect(actual.status == expected.status)
        #expect(actual.stderr == normalise(expected.stderr, script: path))
    }

    /// Lua's globals are all there and unchanged; kosmo-lua adds only `json` and `replicate`.
    @Test func sameLibrariesAsLua() async throws {
        let listing = #"""
            local names = {}
            local added = { json = true, replicate = true }
            for name, value in pairs(_G) do
              if type(value) == "table" and name ~= "_G" and not added[name] then
                for field in pairs(value) do names[#names + 1] = name .. "." .. field end
              elseif not added[name] then
                names[#names + 1] = name
              end
            end
            table.sort(names) print(table.concat(names, " "))
            """#
        let expected = try await runProcess(Binaries.lua, ["-e", listing])
        let actual = try await kosmo(["-e", listing])
        #expect(actual.stdout == expected.stdout)
        #expect(try await kosmo(["-e", "print(type(json.encode), type(replicate.run))"]).stdout == "function\tfunction\n")
    }
}
