import CLua
import Foundation
import KosmoCore
import Testing
@testable import LuaHost

/// One set of JSON rules: every reader (`JSONValue(parsing:)`, `json.decode`) and every writer
/// (`JSONValue.encoded()`, `json.encode`, Lua arguments walked into `JSONValue`) gives the same
/// error text for the same bad input, and the two forms of a Lua value (its text, its
/// `JSONValue`) and of a `JSONValue` in Lua (pushed straight, or decoded from its text) agree.
@Suite struct JSONCoreTests {
    /// A Lua string literal holding exactly `bytes` (decimal escapes, so any byte fits).
    static func luaLiteral(_ bytes: [UInt8]) -> String {
        "\"" + bytes.map { "\\" + String($0) }.joined() + "\""
    }

    /// A VM with the probes the tests compare through:
    /// - `astext(v)`: `v` walked to JSON text, read back by `JSONValue(parsing:)`: `true, json`
    ///   or `false, message`;
    /// - `asvalue(v)`: `v` walked straight to a `JSONValue`: `true, json` or `false, message`;
    /// - `pushed(i)`: `values[i]` pushed straight, then the same value decoded from its text.
    static func probeVM(limits: Limits = .none, values: [JSONValue] = []) throws -> LuaVM {
        let vm = try makeVM(limits: limits)
        func answer(_ call: LuaCall, _ result: Result<JSONValue, JSONError>) -> Int32 {
            switch result {
            case .success(let value):
                call.push(.boolean(true))
                call.push(.string((try? value.encodedString()) ?? "<not encodable>"))
            case .failure(let error):
                call.push(.boolean(false))
                call.push(.string(error.message))
            }
            return 2
        }
        vm.register("astext", sync: { call in
            answer(call, Result { () throws(JSONError) -> JSONValue in
                try JSONValue(parsing: Data(LuaToJSON.text(call.L, call.vm, at: 1)))
            })
        })
        vm.register("asvalue", sync: { call in
            answer(call, Result { () throws(JSONError) -> JSONValue in try LuaToJSON.value(call.L, call.vm, at: 1) })
        })
        vm.register("public_asvalue", sync: { call in
            do throws(RunError) {
                let value = try call.jsonValue(1)
                call.push(.boolean(true))
                call.push(.string((try? value.encodedString()) ?? "<not encodable>"))
            } catch {
                call.push(.boolean(false))
                call.push(.string(error.message))
            }
            return 2
        })
        vm.register("pushed", sync: { call in
            guard let i = call.integer(1), i >= 1, i <= values.count else { throw LuaRaise("no such value") }
            let value = values[Int(i) - 1]
            call.push(.jsonValue(value))
            call.push(.json((try? value.encodedBytes()) ?? []))
            return 2
        })
        return vm
    }

    static func runProbe(_ code: String, limits: Limits = .none, values: [JSONValue] = []) async throws -> String {
        try await VMThread.run {
            let vm = try probeVM(limits: limits, values: values)
            return text(try vm.run(Array(code.utf8), chunkName: "=test")) ?? ""
        }
    }

    /// The message `JSONValue(parsing:)` gives for `bytes`.
    static func parsingMessage(_ bytes: [UInt8]) -> String {
        do {
            _ = try JSONValue(parsing: Data(bytes))
            return "accepted"
        } catch {
            return error.message
        }
    }

    static let badTexts: [(String, [UInt8])] = [
        ("invalid UTF-8", Array("[\"caf".utf8) + [0xC3, 0x28] + Array("\"]".utf8)),
        ("invalid UTF-8 after an escape", Array("\"\\n".utf8) + [0xE9] + Array("\"".utf8)),
        ("lone high surrogate", Array(#"["\ud800"]"#.utf8)),
        ("lone low surrogate", Array(#""\udc00x""#.utf8)),
        ("high surrogate then a non-surrogate", Array(#""\ud800\u0041""#.utf8)),
        ("number too large", Array("[1e400]".utf8)),
        ("negative number too large", Array("{\"a\":\n -1e999}".utf8)),
        ("control character in a string", Array("\"a".utf8) + [0x01] + Array("b\"".utf8)),
        ("newline in a string", Array("{\"k\": \"two\nlines\"}".utf8)),
        ("leading zero", Array("01".utf8)),
        ("bad escape", Array(#""\q""#.utf8)),
        ("short \\u escape", Array(#""\u12""#.utf8)),
        ("bad hex", Array(#""\u12G4""#.utf8)),
        ("unterminated string", Array("\"abc".utf8)),
        ("trailing comma", Array("[1,]".utf8)),
        ("missing colon", Array("{\"a\" 1}".utf8)),
        ("non-string key", Array("{1: 2}".utf8)),
        ("bad literal", Array("tru".utf8)),
        ("bare minus", Array("-".utf8)),
        ("bare fraction", Array("1.".utf8)),
        ("bad exponent", Array("1e+".utf8)),
        ("text after the value", Array("[1] 2".utf8)),
        ("unexpected byte", [0xFF]),
        ("empty", []),
        ("unterminated object", Array("{\"a\": 1".utf8)),
        ("unterminated array", Array("[1, 2".utf8)),
    ]

    @Test("The two readers give the same error text for the same bad JSON")
    func readersAgreeOnErrors() async throws {
        var code = "local out = {}\n"
        for (_, bytes) in Self.badTexts {
            code += "do local ok, e = pcall(json.decode, \(Self.luaLiteral(bytes))) out[#out + 1] = ok and 'accepted' or e end\n"
        }
        code += "return table.concat(out, '\\n')"
        let lua = try await Self.runProbe(code).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        try #require(lua.count == Self.badTexts.count)
        for ((name, bytes), luaMessage) in zip(Self.badTexts, lua) {
            let parsing = Self.parsingMessage(bytes)
            #expect(parsing != "accepted", "\(name): JSONValue(parsing:) accepted it")
            #expect(luaMessage == "json.decode: " + parsing, "\(name)")
        }
        // Spot checks that the shared texts say what was wrong and where.
        #expect(Self.parsingMessage(Self.badTexts[0].1) == "invalid UTF-8 in a JSON string at line 1 column 8")
        #expect(Self.parsingMessage(Self.badTexts[5].1).hasPrefix("number out of range"))
        #expect(Self.parsingMessage(Self.badTexts[6].1).hasSuffix("at line 2 column 2"))
    }

    @Test("Each reader names its own depth limit with the same words")
    func depthLimits() async throws {
        let deep = Array(repeating: UInt8(ascii: "["), count: 600)
        #expect(Self.parsingMessage(deep) == "JSON nested deeper than \(JSONLimits.documentDepth) levels at line 1 column \(JSONLimits.documentDepth + 1)")
        let lua = try await Self.runProbe("local ok, e = pcall(json.decode, string.rep('[', 600)) return e")
        #expect(lua == "json.decode: JSON nested deeper than \(JSONLimits.luaDepth) levels at line 1 column \(JSONLimits.luaDepth + 1)")
    }

    /// Lua expressions json.encode cannot write, each with the member that fails.
    static let badValues: [(String, String)] = [
        ("sparse array", "{[1] = 1, [3] = 3}"),
        ("cycle", "(function() local t = {} t.self = t return t end)()"),
        ("cycle through an array", "(function() local t = {} t[1] = {t} return t end)()"),
        ("mixed table", "{1, 2, name = 'x'}"),
        ("NaN", "0/0"),
        ("infinity inside", "{a = {b = {1, math.huge}}}"),
        ("minus infinity", "-math.huge"),
        ("string not UTF-8", "'caf\\xC3('"),
        ("key not UTF-8", "{['\\xFF'] = 1}"),
        ("function value", "{f = print}"),
        ("boolean key", "{[true] = 1}"),
        ("float key", "json.object{[1.5] = 1}"),
        ("coroutine", "coroutine.create(print)"),
        ("too deep", "(function() local t = {} local c = t for _ = 1, 250 do c[1] = {} c = c[1] end return t end)()"),
    ]

    @Test("The writers give the same error text for the same bad Lua value")
    func writersAgreeOnErrors() async throws {
        var code = "local out = {}\n"
        for (_, expression) in Self.badValues {
            code += """
                do
                  local v = \(expression)
                  local _, text = astext(v)
                  local _, value = asvalue(v)
                  local _, public = public_asvalue(v)
                  local ok, encode = pcall(json.encode, v)
                  out[#out + 1] = table.concat({tostring(ok), text, value, public, encode}, '\\t')
                end

                """
        }
        code += "return table.concat(out, '\\n')"
        let lines = try await Self.runProbe(code).split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        try #require(lines.count == Self.badValues.count)
        for ((name, _), fields) in zip(Self.badValues, lines) {
            try #require(fields.count == 5, "\(name): \(fields)")
            #expect(fields[0] == "false", "\(name): json.encode accepted it")
            #expect(fields[1] == fields[2], "\(name): text walk vs value walk")
            #expect(fields[2] == fields[3], "\(name): LuaCall.jsonValue")
            #expect(fields[4] == "json.encode: " + fields[1], "\(name): json.encode")
        }
        #expect(lines[0][1] == "cannot encode a sparse array as JSON (keys 1..3 with 1 missing); fill the holes with json.null")
        #expect(lines[1][1] == "cannot encode a table that contains itself (a cycle) (at .self)")
        #expect(lines[5][1] == "cannot encode infinity as JSON (NaN and infinity have no JSON form) (at .a.b[2])")
    }

    @Test("JSONValue's writer and the Lua writers word the same failure the same way")
    func valueWriterAgrees() async throws {
        let lua = try await Self.runProbe("local _, e = astext({a = {b = {1, math.huge}}}) local _, n = astext(0/0) return e .. '\\n' .. n")
        let nested: JSONValue = ["a": ["b": [1, .double(.infinity)]]]
        #expect(throws: JSONError.self) { try nested.encoded() }
        func message(_ value: JSONValue) -> String {
            do { _ = try value.encoded(); return "accepted" } catch { return error.message }
        }
        #expect(lua == message(nested) + "\n" + message(.double(.nan)))
    }

    @Test("A Lua value walked to a JSONValue equals its JSON text read back")
    func walkedValueEqualsTextReadBack() async throws {
        let fixed = [
            "nil", "true", "false", "0", "-1", "math.maxinteger", "math.mininteger", "0.1", "-0.0", "1e300", "2^53", "1e16", "1e15 + 0.5",
            "''", "'plain'", "'quote \" backslash \\\\ slash /'", "'\\0\\1\\8\\12\\27\\127'", "'caf\\u{E9} \\u{1F600} \\u{10FFFF}'",
            "{}", "json.array{}", "json.object{}", "{1, 2, 3}", "{json.null, json.null}", "{a = json.null}",
            "json.object{[1] = 'one', [2] = 'two'}", "json.object{[1] = 'int', ['1'] = 'string'}", "json.array{1, nil, 3}",
            "{a = {b = {c = {1, {d = 'deep'}}}}, z = {}, ['k\\n'] = 1, [''] = 'empty key'}",
            "(function() local t = {} for i = 1, 300 do t[i] = i * 1.5 end return t end)()",
            "(function() local t = {} local c = t for _ = 1, 199 do c[1] = {} c = c[1] end return t end)()",
        ]
        var code = """
            local R = math.random
            math.randomseed(20261201)
            local function gen(depth)
              local k = depth > 3 and R(1, 5) or R(1, 8)
              if k == 1 then return R(0, 1) == 1
              elseif k == 2 then return R(math.mininteger, math.maxinteger)
              elseif k == 3 then return (R() - 0.5) * 10.0 ^ R(-30, 30)
              elseif k <= 5 then
                local t = {}
                for i = 1, R(0, 8) do t[i] = utf8.char(R(1, 3) == 1 and R(0, 0x7F) or R(0x80, 0x10FFFF) & ~0x800) end
                return table.concat(t)
              elseif k <= 7 then
                local t = {}
                for i = 1, R(0, 5) do t[i] = R(1, 6) == 1 and json.null or gen(depth + 1) end
                return R(1, 3) == 1 and json.array(t) or t
              else
                local t = {}
                for _ = 1, R(0, 5) do t[string.char(R(97, 102))] = gen(depth + 1) end
                return R(1, 3) == 1 and json.object(t) or t
              end
            end
            local values = {\(fixed.joined(separator: ", "))}
            local out, n = {}, 0

            """
        code += """
            local function check(v, label)
              n = n + 1
              local ok1, a = astext(v)
              local ok2, b = asvalue(v)
              if ok1 ~= true or ok2 ~= true or a ~= b then out[#out + 1] = label .. ': ' .. tostring(a) .. ' vs ' .. tostring(b) end
            end
            for i = 1, \(fixed.count) do check(values[i], 'fixed ' .. i) end
            for i = 1, 400 do check(gen(0), 'random ' .. i) end
            return n .. '\\n' .. table.concat(out, '\\n')
            """
        let result = try await Self.runProbe(code)
        let lines = result.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.first == "\(fixed.count + 400)")
        #expect(lines.dropFirst().joined(separator: "\n").isEmpty, "\(result.prefix(2000))")
    }

    @Test("The memory limit stops both walks at the same point, with the same message")
    func budgetIsShared() async throws {
        let result = try await Self.runProbe("""
            local s = ('x'):rep(1 << 20)
            local t = {}
            for i = 1, 24 do t[i] = s end
            local ok1, a = astext(t)
            local ok2, b = asvalue(t)
            return tostring(ok1) .. tostring(ok2) .. '\\n' .. a .. '\\n' .. b
            """, limits: Limits(memoryBytes: 16 << 20))
        let lines = result.split(separator: "\n").map(String.init)
        #expect(lines.count == 3 && lines[0] == "falsefalse", "\(result)")
        #expect(lines.count == 3 && lines[1] == lines[2] && lines[1] == JSONError.Problem.textPassesMemoryLimit.text, "\(result)")
    }

    @Test("A JSONValue pushed straight into Lua is what its text decodes to")
    func pushedValueEqualsDecodedText() async throws {
        var values: [JSONValue] = [
            .null, true, 0, -7, .int(.max), .int(.min), 0.5, -0.0, 1e300, "", "text \"with\" \\ escapes\n\u{1}", "caf\u{E9} \u{1F600}",
            [], [:], [nil, 1, nil], ["a": nil, "b": 1], ["nested": ["list": [1, 2.5, ["deep": true]], "empty": [:]]],
            .array((0..<50).map { .int($0) }), .object(Dictionary(uniqueKeysWithValues: (0..<50).map { ("k\($0)", JSONValue.string("v\($0)")) })),
        ]
        var deep: JSONValue = 1
        for _ in 0..<150 { deep = [deep] }
        values.append(deep)
        var tooDeep: JSONValue = 1
        for _ in 0..<(JSONLimits.luaDepth + 5) { tooDeep = ["k": tooDeep] }
        values.append(tooDeep)
        let code = """
            \(LuaSnippets.deepEqual)
            local wrong = {}
            for i = 1, \(values.count) do
              local a, b = pushed(i)
              if not eq(a, b) then wrong[#wrong + 1] = i .. ': ' .. tostring(a) .. ' vs ' .. tostring(b) end
            end
            local last = pushed(\(values.count))
            return (#wrong == 0 and 'same' or table.concat(wrong, '\\n')) .. '\\n' .. tostring(last)
            """
        let result = try await Self.runProbe(code, values: values)
        // Past the depth limit both give nil, as decoding such a text does.
        #expect(result == "same\nnil", "\(result)")
    }
}
