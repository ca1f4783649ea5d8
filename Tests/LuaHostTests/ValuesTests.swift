import Testing
@testable import LuaHost

/// The Values table of docs/architecture.md, row by row, through `json.decode` / `json.encode` and host results.
@Suite struct ValuesTests {
    @Test func objectBecomesTableAndNullMembersAreLeftOut() async throws {
        #expect(text(try await run(#"local t = json.decode('{"a":1,"b":null}') return tostring(t.b) .. "," .. t.a"#)) == "nil,1")
        #expect(text(try await run(#"return json.encode(json.decode('{"a":1,"b":null}'))"#)) == #"{"a":1}"#)
    }

    @Test func objectNullsKeptOnRequest() async throws {
        #expect(text(try await run(#"local t = json.decode('{"b":null}', {nulls = json.null}) return t.b == json.null"#)) == "true")
        #expect(text(try await run(#"return json.encode(json.decode('{"b":null}', {nulls = json.null}))"#)) == #"{"b":null}"#)
    }

    @Test func arraysAreMarkedSoEmptyArraysStayArrays() async throws {
        #expect(text(try await run(#"return json.encode(json.decode('[]'))"#)) == "[]")
        #expect(text(try await run(#"return json.encode(json.decode('{}'))"#)) == "{}")
        #expect(text(try await run(#"return json.encode({})"#)) == "{}")
        #expect(text(try await run(#"return json.encode(json.array{})"#)) == "[]")
        #expect(text(try await run(#"return json.encode(json.object{})"#)) == "{}")
        #expect(text(try await run(#"return json.encode({1, 2, 3})"#)) == "[1,2,3]")
        #expect(text(try await run(#"local t = json.decode('[1,2]') return #t"#)) == "2")
    }

    @Test func nullInsideArraysIsTheSentinel() async throws {
        #expect(text(try await run(#"local t = json.decode('[1,null,3]') return tostring(t[2] == json.null) .. #t"#)) == "true3")
        #expect(text(try await run(#"return json.encode({1, json.null, 3})"#)) == "[1,null,3]")
    }

    @Test func integersAndFloatsKeepTheirSubtype() async throws {
        #expect(text(try await run(#"return math.type(json.decode('1')) .. math.type(json.decode('1.0')) .. math.type(json.decode('1e2'))"#)) == "integerfloatfloat")
        #expect(text(try await run(#"return json.encode({1, 1.0, -0.5, 2^53})"#)) == "[1,1.0,-0.5,9007199254740992.0]")
        #expect(text(try await run(#"return json.encode(json.decode('9007199254740993'))"#)) == "9007199254740993")
        #expect(text(try await run(#"return json.decode('9007199254740993') == 9007199254740993"#)) == "true")
        #expect(text(try await run(#"return math.type(json.decode('123456789012345678901234567890'))"#)) == "float")
        #expect(text(try await run(#"return json.encode(json.decode('-9223372036854775808'))"#)) == "-9223372036854775808")
    }

    @Test func nanAndInfinityAreErrors() async {
        #expect(await failure(#"return json.encode(0/0)"#)?.message.contains("NaN") == true)
        #expect(await failure(#"return json.encode({x = math.huge})"#)?.message.contains("(at .x)") == true)
    }

    @Test func stringsAreUTF8() async throws {
        #expect(text(try await run(#"return json.decode[["h\u00e9llo \ud83d\ude00"]]"#)) == "héllo 😀")
        #expect(text(try await run(#"return json.encode("héllo 😀 \"q\" \n")"#)) == #""héllo 😀 \"q\" \n""#)
        #expect(text(try await run(#"return json.encode(json.decode[["\u0001"]])"#)) == #""\u0001""#)
        #expect(await failure(#"return json.encode("\xff\xfe")"#)?.message.contains("not valid UTF-8") == true)
        #expect(await failure(#"return json.decode('"\xc3"')"#)?.message.contains("invalid UTF-8") == true)
        #expect(await failure(#"return json.decode[["\ud800"]]"#)?.message.contains("surrogate") == true)
    }

    @Test func cyclesAndDepthAreErrors() async {
        #expect(await failure(#"local t = {} t.self = t return json.encode(t)"#)?.message.contains("cycle") == true)
        let deep201 = String(repeating: "[", count: 201) + String(repeating: "]", count: 201)
        #expect(await failure("return json.decode('\(deep201)')")?.message.contains("deeper than 200") == true)
        let deep200 = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect(await failure("return json.decode('\(deep200)')") == nil)
        #expect(await failure(#"local t = {} local c = t for i = 1, 201 do c[1] = {} c = c[1] end return json.encode(t)"#)?.message.contains("deeper than 200") == true)
    }

    @Test func ambiguousTablesExplainTheFix() async {
        #expect(await failure(#"return json.encode({1, 2, x = 3})"#)?.message.contains("json.object") == true)
        #expect(await failure(#"return json.encode({[1] = 1, [3] = 3})"#)?.message.contains("sparse") == true)
        #expect(await failure(#"return json.encode({f = print})"#)?.message.contains("function") == true)
    }

    @Test func malformedJSONNamesThePlace() async {
        let error = await failure(#"return json.decode('{"a": 1,\n "b": }')"#)
        #expect(error?.message.contains("line 2") == true)
        #expect(await failure(#"return json.decode('[1, 2')"#)?.message.contains("end of JSON") == true)
        #expect(await failure(#"return json.decode('01')"#)?.message.contains("leading zero") == true)
        #expect(await failure(#"return json.decode('[1] x')"#)?.message.contains("after the JSON value") == true)
    }

    @Test func roundTripOfARecordedShapeIsExact() async throws {
        let document = #"{"created_at":"2024-01-01T00:00:00Z","error":null,"id":"abc","input":{"text":"Alice"},"logs":"","metrics":{"predict_time":0.012},"output":["a",null,{"x":[]}],"status":"succeeded","urls":{"get":"https://x/y"}}"#
        let expected = #"{"created_at":"2024-01-01T00:00:00Z","id":"abc","input":{"text":"Alice"},"logs":"","metrics":{"predict_time":0.012},"output":["a",null,{"x":[]}],"status":"succeeded","urls":{"get":"https://x/y"}}"#
        #expect(text(try await run("return json.encode(json.decode([==[\(document)]==]))")) == expected)
    }

    @Test func hostValuesArePushedPerTheTable() async throws {
        let vm = try makeVM()
        vm.register("value", sync: { call in
            call.push(.table([("arr", .array([.integer(1), .null, .number(1.5)])), ("empty", .array([])), ("s", .string("é")), ("gone", .nil)]))
        })
        let out = try vm.run(Array("return json.encode(value())".utf8), chunkName: "=t")
        #expect(text(out) == #"{"arr":[1,null,1.5],"empty":[],"s":"é"}"#)
    }

    @Test func memoryLimitInTheMiddleOfALargeConversionIsACleanLimitError() async throws {
        let vm = try makeVM(limits: Limits(memoryBytes: 8 << 20))
        let script = """
            local parts = {}
            for i = 1, 40000 do parts[i] = '{"id":' .. i .. ',"tags":["a","b"],"v":{"x":1.5}}' end
            local doc = "[" .. table.concat(parts, ",") .. "]"
            parts = nil
            return #json.decode(doc)
            """
        do {
            _ = try vm.run(Array(script.utf8), chunkName: "=big")
            Issue.record("expected the memory limit to stop the conversion")
        } catch {
            #expect(error.kind == .limit)
            #expect(error.message.contains("memory limit (8 MiB)"))
        }
        // The VM is still usable and its memory came back under the limit.
        #expect(text(try vm.run(Array("collectgarbage() return 1 + 1".utf8), chunkName: "=after")) == "2")
        #expect(vm.statistics.memoryBytes < 8 << 20)
    }
}
