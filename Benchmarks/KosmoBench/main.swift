// KosmoBench: the cost of a Lua → Swift host function → Lua round trip in a kosmo-lua VM.
//
// usage: KosmoBench [HOSTCALL_LUA] [N] [REPS]
//
// Runs Benchmarks/hostcall.lua — the same loop plain lua5.4 and lupa run — in a standard-profile
// `LuaVM` against three functions: a no-op sync host function (0 results), an echoing host
// function (1 result) and Lua's own C function `rawlen`, which lua5.4 runs in its baseline.
// Prints one JSON object with nanoseconds per call (median over REPS, empty loop subtracted).
//
// The Swift side uses raw accessors only (docs/architecture.md, rule 1): no lua_error, no luaL_check*.
import CLua
import CLuaBridge
import Foundation
import LuaHost

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data(("KosmoBench: " + message + "\n").utf8))
    exit(1)
}

func number(_ x: Double) -> String { String(format: "%.3f", x) }

struct Sample { let name: String; let median: Double; let min: Double; let max: Double }

/// Everything runs on the main thread, which owns the VM for its whole life (docs/architecture.md, rule 3).
func runBenchmarks() {
    let arguments = CommandLine.arguments
    let scriptPath = arguments.count > 1
        ? arguments[1]
        : URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("hostcall.lua").path
    let n = arguments.count > 2 ? Int64(arguments[2]) ?? 10_000_000 : 10_000_000
    let reps = arguments.count > 3 ? Int64(arguments[3]) ?? 7 : 7

    guard let source = FileManager.default.contents(atPath: scriptPath) else { fail("cannot read \(scriptPath)") }

    let vm: LuaVM
    do { vm = try LuaVM(profile: .standard) } catch { fail("cannot create a LuaVM: \(error)") }
    let L = vm.state

    // The round trip under test: the trampoline, the dispatcher, the closure, and back.
    vm.register("kosmo_noop", sync: { _ in 0 })
    // The same with one result handed back to Lua (`lua_pushvalue` is a raw stack operation).
    vm.register("kosmo_echo", sync: { call in
        lua_pushvalue(call.L, 1)
        return 1
    })

    /// Pushes global `name` without metamethods.
    func pushGlobal(_ name: String) {
        vm.pushGlobals()
        lua_pushstring(L, name)
        lua_rawget(L, -2)
        lua_rotate(L, -2, -1)
        kl_pop(L, 1)
    }

    // hostcall.lua returns `measure`; keep it at stack index 1.
    do {
        try vm.load(Array(source), chunkName: "@" + scriptPath)
        try vm.call(argumentCount: 0, resultCount: 1)
    } catch { fail("hostcall.lua: \(error)") }
    guard lua_type(L, 1) == LUA_TFUNCTION else { fail("hostcall.lua did not return a function") }

    func measure(_ global: String, label: String) -> Sample {
        lua_pushvalue(L, 1)
        pushGlobal(global)
        lua_pushinteger(L, n)
        lua_pushinteger(L, reps)
        do { try vm.call(argumentCount: 3, resultCount: 3) } catch { fail("\(label): \(error)") }
        let sample = Sample(name: label, median: kl_tonumber(L, -3, nil), min: kl_tonumber(L, -2, nil), max: kl_tonumber(L, -1, nil))
        kl_pop(L, 3)
        return sample
    }

    let samples = [
        measure("kosmo_noop", label: "Swift no-op (0 results)"),
        measure("kosmo_echo", label: "Swift echo (1 result)"),
        measure("rawlen", label: "rawlen (C) in the kosmo-lua VM"),
    ]

    let entries = samples.map {
        "{\"function\":\"\($0.name)\",\"ns_median\":\(number($0.median)),\"ns_min\":\(number($0.min)),\"ns_max\":\(number($0.max))}"
    }
    print("{\"runtime\":\"kosmo-lua LuaVM\",\"n\":\(n),\"reps\":\(reps),\"results\":[\(entries.joined(separator: ","))]}")
}

runBenchmarks()
