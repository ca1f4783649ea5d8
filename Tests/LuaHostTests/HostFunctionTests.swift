import CLua
import Foundation
import Testing
@testable import LuaHost

/// Swift host functions, sync and async, and the scheduler that runs tasks concurrently.
@Suite struct HostFunctionTests {
    /// A VM with `add(a, b)`, `fail(msg)`, `failtable()`, `sleep(ms, value)` (async),
    /// `fetch(ms, value)` (work that can be done in place; returns "inplace:value" or
    /// "task:value", declines to run in place for "decline", fails in place for "boom") and
    /// `all(f1, f2, …)` (runs the functions as scheduler tasks, returns their first results).
    func makeHostVM(limits: Limits = .none) throws -> LuaVM {
        let vm = try makeVM(limits: limits)
        vm.register("add", sync: { call in
            guard let a = call.integer(1), let b = call.integer(2) else { throw call.argumentError(1, "add", "integers") }
            return call.push(.integer(a + b))
        })
        vm.register("fail", sync: { call in throw LuaRaise(call.string(1) ?? "failed") })
        lua_createtable(vm.state, 0, 1)
        vm.register("__tostring", in: -1, sync: { call in
            lua_pushstring(call.L, "kind")
            lua_rawget(call.L, 1)
            return call.push(.string("custom: \(call.string(-1) ?? "?")"))
        })
        vm.registerMetatable(named: "test.error")
        vm.register("failtable", sync: { _ in
            throw LuaRaise(value: .table([("kind", .string("http")), ("status", .integer(503)), ("message", .string("busy"))]), metatable: "test.error")
        })
        vm.register("sleep", .async({ call in
            let ms = call.integer(1) ?? 0
            let value = call.string(2) ?? "done"
            return {
                try await Task.sleep(nanoseconds: UInt64(ms) * 1_000_000)
                if value == "boom" { throw LuaRaise("async boom") }
                return [.string(value)]
            }
        }))
        vm.register("fetch", .work({ call in
            let ms = Double(call.integer(1) ?? 0)
            let value = call.string(2) ?? "done"
            return HostWork(run: { [.string("task:" + value)] }) { wait in
                if value == "decline" { return nil }
                if value == "boom" { throw LuaRaise("in-place boom") }
                let end = Date().addingTimeInterval(ms / 1000)
                while Date() < end {
                    if wait.shouldStop() { throw LuaRaise("stopped, the VM says why") }
                    usleep(2000)
                }
                return [.string("inplace:" + value)]
            }
        }))
        vm.register("waitfor", sync: { call in
            // A wait for a person (an approval prompt), paused or not.
            let ms = UInt32(call.integer(1) ?? 0)
            if call.boolean(2) { call.vm.withTimeLimitPaused { usleep(ms * 1000) } } else { usleep(ms * 1000) }
            return 0
        })
        vm.register("all", sync: { call in
            let count = Int(call.argumentCount)
            let failures = try call.vm.runTasks(count: count, concurrency: count, from: call.L) { thread, index in
                lua_pushvalue(call.L, Int32(index))
                lua_xmove(call.L, thread, 1)
                return 0
            }
            if let first = failures.first { throw LuaRaise("task \(first.index) failed: \(first.message)") }
            lua_settop(call.L, lua_gettop(call.L) - 1)
            return 1
        })
        return vm
    }

    func eval(_ vm: LuaVM, _ code: String) throws(RunError) -> String? {
        text(try vm.run(Array(code.utf8), chunkName: "=test"))
    }

    /// Runs each chunk in turn in one VM on a dedicated thread (never on the cooperative pool:
    /// the VM blocks its thread while async host work runs there). Errors come back as "ERROR: …".
    func evalAll(_ chunks: [String], limits: Limits = .none) async throws -> [String?] {
        try await VMThread.run {
            let vm = try HostFunctionTests().makeHostVM(limits: limits)
            return chunks.map { chunk -> String? in
                do throws(RunError) { return try HostFunctionTests().eval(vm, chunk) } catch { return "ERROR(\(error.kind)): \(error.message)" }
            }
        }
    }

    @Test func syncCallsAndArgumentErrors() async throws {
        let out = try await evalAll(["return add(40, 2)", "local ok, e = pcall(add, 'x') return e"])
        #expect(out == ["42", "bad argument #1 to 'add' (integers expected, got string)"])
    }

    @Test func errorsRaiseAfterSwiftReturnsAndAreCatchable() async throws {
        let out = try await evalAll([
            "local ok, e = pcall(fail, 'nope') return tostring(ok) .. ':' .. e",
            "local ok, e = pcall(failtable) return e.kind .. e.status .. e.message",
            "local ok, e = pcall(failtable) return tostring(e)",
        ])
        #expect(out == ["false:nope", "http503busy", "custom: http"])
        let error: RunError? = try await VMThread.run {
            let vm = try HostFunctionTests().makeHostVM()
            do throws(RunError) { _ = try HostFunctionTests().eval(vm, "failtable()") } catch { return error }
            return nil
        }
        #expect(error?.kind == .host)
        #expect(error?.hostKind == "http")
        #expect(error?.message == "custom: http")
        #expect(error?.traceback?.contains("stack traceback") == true)
        #expect(error?.errorObject.map { String(decoding: $0, as: UTF8.self) } == #"{"kind":"http","message":"busy","status":503}"#)
    }

    @Test func asyncCallWaitsInPlaceOutsideTasks() async throws {
        let out = try await evalAll([
            "return sleep(10, 'main')",
            "return coroutine.wrap(function() return sleep(10, 'wrapped') end)()",
            "local ok, e = pcall(sleep, 1, 'boom') return e",
        ])
        #expect(out == ["main", "wrapped", "async boom"])
    }

    @Test func workRunsInPlaceWhereTheCallerWaitsAndAsATaskInScheduledTasks() async throws {
        let out = try await evalAll([
            "return fetch(1, 'main')",
            "return coroutine.wrap(function() return fetch(1, 'wrapped') end)()",
            "return all(function() return fetch(1, 'scheduled') end)[1]",
            "return fetch(1, 'decline')",
            "local ok, e = pcall(fetch, 1, 'boom') return e",
        ])
        #expect(out == ["inplace:main", "inplace:wrapped", "task:scheduled", "task:decline", "in-place boom"])
    }

    @Test func aCaughtMemoryErrorDoesNotStopLaterWorkInPlace() async throws {
        let out = try await evalAll([
            "local ok = pcall(string.rep, 'x', 64 * 1024 * 1024) return tostring(ok) .. ':' .. fetch(1, 'after')",
        ], limits: Limits(memoryBytes: 16 * 1024 * 1024))
        #expect(out == ["false:inplace:after"])
    }

    @Test func timeSpentWaitingForAPersonDoesNotCountTowardTheTimeLimit() async throws {
        let out = try await evalAll([
            "waitfor(700, true) for i = 1, 1e5 do end return 'answered in time'",
            "waitfor(700, false) for i = 1, 1e5 do end return 'not reached'",
        ], limits: Limits(timeoutSeconds: 0.4))
        #expect(out.first == "answered in time")
        #expect(out.last??.contains("time limit exceeded") == true, "\(String(describing: out.last))")
    }

    @Test func aTimeLimitEndsWorkInPlaceWithTheVMsOwnError() async throws {
        let start = Date()
        let out = try await evalAll(["return fetch(5000, 'slow')"], limits: Limits(timeoutSeconds: 0.3))
        #expect(out.first??.hasPrefix("ERROR(limit): ") == true, "\(String(describing: out.first))")
        #expect(out.first??.contains("time limit exceeded") == true)
        #expect(Date().timeIntervalSince(start) < 4)
    }

    @Test func tasksRunConcurrently() async throws {
        let start = Date()
        let code = """
            local fs = {}
            for i = 1, 100 do fs[i] = function() return sleep(100, 'r' .. i) end end
            local results = all(table.unpack(fs))
            return #results .. results[1] .. results[100]
            """
        #expect(try await evalAll([code]) == ["100r1r100"])
        // Sequentially this would take 10 s; concurrently about 0.1 s.
        #expect(Date().timeIntervalSince(start) < 5)
    }

    @Test func pcallAroundAYieldingCallInsideATask() async throws {
        let code = """
            local r = all(function()
              local ok, e = pcall(sleep, 5, 'boom')
              local v = sleep(5, 'after')
              return tostring(ok) .. ':' .. e .. ':' .. v
            end)
            return r[1]
            """
        #expect(try await evalAll([code]) == ["false:async boom:after"])
    }

    @Test func aTaskErrorIsReportedWithItsIndex() async throws {
        let out = try await evalAll(["local ok, e = pcall(all, function() return 1 end, function() error('bad') end) return e"])
        #expect(out == ["task 2 failed: test:1: bad"])
    }

    @Test func deadlineEndsWaitingTasks() async throws {
        let start = Date()
        let out = try await evalAll(["return all(function() return sleep(5000) end)"], limits: Limits(timeoutSeconds: 0.3))
        #expect(out.first??.hasPrefix("ERROR(limit): ") == true)
        #expect(out.first??.contains("time limit exceeded") == true)
        // The 5 s sleep was cut short by the 0.3 s deadline.
        #expect(Date().timeIntervalSince(start) < 4)
    }

    @Test func reentryFromSwiftIntoLuaIsBounded() async throws {
        let out = try await evalAll([
            "local function f(n) return all(function() return f(n + 1) end)[1] end return f(1)",
            "return add(1, 1)",
        ])
        #expect(out.first??.contains("stack overflow") == true, "\(String(describing: out.first).prefix(300))")
        #expect(out.last == "2")
    }
}
