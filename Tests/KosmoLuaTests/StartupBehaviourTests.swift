import Foundation
import Testing

/// What the start-up work changed, as a user sees it: the `replicate` table is built
/// on first use, settings are read on the first API call, and a script without limits runs
/// without the count hook yet still stops on Ctrl-C.
@Suite struct StartupBehaviourTests {
    @Test func theReplicateTableIsCompleteWhenFirstUsed() async throws {
        let script = """
            local n = 0
            for name in pairs(replicate) do n = n + 1 end
            print(n > 70, type(replicate.get_model), type(replicate.paginate))
            """
        let listed = try await kosmo(["-e", script])
        #expect(listed.status == 0 && listed.stdout == "true\tfunction\tfunction\n", "\(listed.stdout)\(listed.stderr)")

        // A field the script set before first use is kept; the library's fields arrive too.
        let own = try await kosmo(["-e", "replicate.mine = 1 print(replicate.mine, type(replicate.run), rawget(replicate, 'run') ~= nil)"])
        #expect(own.stdout == "1\tfunction\ttrue\n", "\(own.stdout)\(own.stderr)")

        // First used inside a coroutine (the table is built on the coroutine's own stack).
        let coroutine = try await kosmo(["-e", "print(coroutine.wrap(function() return type(replicate.wait) end)())"])
        #expect(coroutine.stdout == "function\n", "\(coroutine.stdout)\(coroutine.stderr)")

        // A misspelt name on first use points at the script's line, as later ones do.
        let misspelt = try await kosmo(["-e", "local x = 1\nreturn replicate.get_modle"])
        #expect(misspelt.status == 1)
        #expect(misspelt.stderr.hasPrefix("kosmo-lua: (command line):2: replicate.get_modle does not exist; did you mean replicate.get_model?"),
                "\(misspelt.stderr)")
        #expect(try await kosmo(["-e", "print(require('replicate') == replicate)"]).stdout == "true\n")
    }

    @Test func settingsAreReadOnTheFirstCall() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = directory + "/config.toml"
        try write("[replicate]\nwrite = \"allow\"\n", to: config)
        let environment = ["KOSMO_LUA_CONFIG": config, "REPLICATE_API_TOKEN": ""]
        // Plain Lua never reads them.
        let plain = try await kosmo(["-e", "print('fine')"], environment: environment)
        #expect(plain.status == 0 && plain.stdout == "fine\n", "\(plain.stderr)")
        // The first call raises a validation error naming the problem; pcall catches it.
        let caught = try await kosmo(["-e", "local ok, e = pcall(replicate.get_account) print(ok, e.kind, e['function'])"],
                                     environment: environment)
        #expect(caught.stdout == "false\tvalidation\tget_account\n", "\(caught.stdout)\(caught.stderr)")
        let uncaught = try await kosmo(["-e", "replicate.get_account()"], environment: environment)
        #expect(uncaught.status == 1 && uncaught.stderr.contains("unknown key 'write'"), "\(uncaught.stderr)")
    }

    @Test func ctrlCStopsAScriptThatRunsWithoutTheHook() async throws {
        for code in ["while true do end", "local t = {} for i = 1, math.huge do t[i % 10] = #t end"] {
            let status = try await onThread { () -> Int32? in
                let process = try LineProcess(Binaries.kosmo, ["-e", "print('ready') io.stdout:flush() " + code])
                guard process.line(timeout: 20) != nil else { return nil }
                usleep(200_000)
                kill(process.pid, SIGINT)
                // An uncaught "interrupted!" error: exit status 1, not death by the signal.
                return process.close(timeout: 5)
            }
            #expect(status == 1, "\(code): exit status \(String(describing: status))")
        }
    }
}
