import AgentMode
import Foundation
import LuaHost
import Replicate
import ReplicateLua

/// `kosmo-lua doctor [--json] [flags]`: is everything set up? Where the token comes from
/// (never the token itself), the base URL and whether it answers `get_account`, the policy in
/// force, the sandbox's limits, and the next command to run. Exit 0 when all is well, else 1.
enum DoctorCommand {
    /// One line of the report.
    struct Check {
        let name: String
        let ok: Bool
        let detail: String
        var json: [String: JSONValue] = [:]
    }

    /// replicate/hello-world's version, which the simulator serves too.
    static let helloVersion = "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa"

    static func main(_ arguments: [String]) -> Int32 {
        let options: AgentOptions
        do {
            options = try AgentOptions.parse(arguments, command: .doctor)
        } catch {
            StandardError.report(error.message + " (kosmo-lua doctor --help)")
            return 2
        }
        if options.showHelp {
            print(AgentOptions.doctorUsage)
            return 0
        }
        let environment = ProcessInfo.processInfo.environment
        var settings: ReplicateSettings
        var checks: [Check] = []
        do {
            settings = try ReplicateSetup.settings(flags: options.replicateFlags)
        } catch {
            checks.append(Check(name: "configuration", ok: false, detail: error.message))
            return report(checks, next: "fix the configuration above, then run kosmo-lua doctor again", json: options.json)
        }
        let configPath = settings.configPath ?? ConfigLocation.path(environment)
        checks.append(Check(name: "config file", ok: true,
                            detail: settings.configPath.map { "\($0) (read)" } ?? "\(configPath ?? "none") (not present; optional)",
                            json: ["path": configPath.map { .string($0) } ?? .null, "read": .bool(settings.configPath != nil)]))
        for warning in settings.warnings {
            checks.append(Check(name: "warning", ok: false, detail: warning))
        }

        let token = tokenCheck(settings, configPath: configPath)
        checks.append(token)
        checks.append(Check(name: "base URL", ok: true, detail: settings.baseURL.absoluteString,
                            json: ["url": .string(settings.baseURL.absoluteString)]))
        var answered = false
        if token.ok {
            let account = accountCheck(settings)
            answered = account.ok
            checks.append(account)
        } else {
            checks.append(Check(name: "API", ok: false, detail: "not tried: there is no token to call get_account with"))
        }
        let policy = settings.policy
        checks.append(Check(name: "policy", ok: true, detail: policy.summary, json: [
            "read": .string(policy.read.mode.rawValue), "write": .string(policy.write.mode.rawValue),
            "force": .bool(policy.force),
            "functions": .object(policy.functions.mapValues { .string($0.mode.rawValue) }),
        ]))
        let guardText = settings.maxPredictions.map { "at most \($0) per run" }
            ?? "unlimited for scripts; \(ReplicateSetup.agentPredictionLimit) per run in exec and mcp"
        checks.append(Check(name: "spend guard", ok: true, detail: "predictions and trainings: \(guardText) (--max-predictions N)",
                            json: ["max_predictions": settings.maxPredictions.map { .int(Int64($0)) } ?? .null,
                                   "agent_default": .int(Int64(ReplicateSetup.agentPredictionLimit))]))
        let limits = Limits.sandboxDefaults
        checks.append(Check(name: "sandbox limits", ok: true,
                            detail: "exec and mcp: \((limits.memoryBytes ?? 0) >> 20) MiB, \(Int(limits.timeoutSeconds ?? 0)) s, \((limits.outputBytes ?? 0) >> 10) KiB of output, 64 requests in flight (--memory, --timeout, --output-limit)",
                            json: ["memory_bytes": .int(Int64(limits.memoryBytes ?? 0)), "timeout_seconds": .double(limits.timeoutSeconds ?? 0),
                                   "output_bytes": .int(Int64(limits.outputBytes ?? 0)), "requests_in_flight": 64]))

        let hello = "echo 'return replicate.run(\"replicate/hello-world:\(helloVersion)\", {text = \"x\"})' | kosmo-lua exec --sim --json -"
        let next: String
        if !token.ok {
            next = "set a token (see above), or try everything offline with the simulator: \(hello)"
        } else if !answered {
            next = "check the network and the token, then run kosmo-lua doctor again"
        } else if settings.simulate {
            next = "\(hello)   (or connect an agent: kosmo-lua mcp --sim)"
        } else {
            next = "echo 'return replicate.get_account()' | kosmo-lua exec --json -   (or connect an agent: kosmo-lua mcp)"
        }
        return report(checks, next: next, json: options.json)
    }

    /// Where the token comes from, redacted; with none, exactly how to set one.
    static func tokenCheck(_ settings: ReplicateSettings, configPath: String?) -> Check {
        guard let token = settings.token, !token.isEmpty else {
            let file = configPath ?? "~/.config/kosmo-lua/config.toml"
            let how = """
                no API token. Set one (from https://replicate.com/account/api-tokens) either way:
                    export REPLICATE_API_TOKEN=r8_...
                  or in \(file) (then chmod 600 it):
                    [replicate]
                    api_token = "r8_..."
                """
            return Check(name: "token", ok: false, detail: how, json: [
                "source": .null,
                "how_to_set": .array([.string("export REPLICATE_API_TOKEN=r8_..."),
                                      .string("\(file): [replicate] api_token = \"r8_...\" (chmod 600)")]),
            ])
        }
        let source = settings.tokenSource ?? "unknown"
        let shown = redacted(token)
        return Check(name: "token", ok: true, detail: "\(shown) from \(source)", json: ["source": .string(source), "redacted": .string(shown)])
    }

    /// Enough to tell tokens apart, never enough to use one: a known prefix and the length.
    static func redacted(_ token: String) -> String {
        let prefix = token.hasPrefix("r8_") ? "r8_" : ""
        return "\(prefix)… (\(token.count) characters)"
    }

    /// Calls get_account with a short timeout.
    static func accountCheck(_ settings: ReplicateSettings) -> Check {
        var configuration = settings.clientConfiguration
        configuration.requestTimeout = 10
        configuration.connectTimeout = 5
        configuration.maxRetries = 0
        let client = ReplicateClient(configuration: configuration)
        let box = AccountBox()
        let semaphore = DispatchSemaphore(value: 0)
        let started = DispatchTime.now()
        Task.detached {
            do {
                box.result = .success(try await client.perform("get_account").body)
            } catch {
                box.result = .failure(error)
            }
            semaphore.signal()
        }
        semaphore.wait()
        let ms = Int(Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e6)
        switch box.result {
        case .success(let body)?:
            let user = body["username"]?.stringValue ?? "?"
            return Check(name: "API", ok: true, detail: "get_account answered in \(ms) ms: signed in as \(user)",
                         json: ["answered": true, "username": .string(user), "ms": .int(Int64(ms))])
        case .failure(let error)?:
            var detail = "get_account failed: \(error)"
            if let failure = error as? ReplicateError, failure.status == 401 {
                detail += " — the token was refused; make a new one at https://replicate.com/account/api-tokens"
            }
            return Check(name: "API", ok: false, detail: detail, json: ["answered": false, "error": .string("\(error)")])
        case nil:
            return Check(name: "API", ok: false, detail: "get_account did not finish")
        }
    }

    static func report(_ checks: [Check], next: String, json: Bool) -> Int32 {
        let ok = !checks.contains { !$0.ok }
        if json {
            var object: [String: JSONValue] = ["ok": .bool(ok), "next": .string(next)]
            for check in checks where check.name != "warning" {
                var entry = check.json
                entry["ok"] = .bool(check.ok)
                entry["detail"] = .string(check.detail)
                object[check.name.lowercased().replacingOccurrences(of: " ", with: "_")] = .object(entry)
            }
            let warnings = checks.filter { $0.name == "warning" }.map { JSONValue.string($0.detail) }
            object["warnings"] = .array(warnings)
            print(PrettyJSON.text(.object(object)))
        } else {
            for check in checks {
                print("\(check.ok ? "ok  " : "FIX ") \(check.name): \(check.detail)")
            }
            print("next: \(next)")
        }
        return ok ? 0 : 1
    }
}

/// The config file's expected place, as the settings look for it.
enum ConfigLocation {
    static func path(_ environment: [String: String]) -> String? {
        if let explicit = environment["KOSMO_LUA_CONFIG"], !explicit.isEmpty { return explicit }
        if let xdg = environment["XDG_CONFIG_HOME"], !xdg.isEmpty { return xdg + "/kosmo-lua/config.toml" }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return home + "/.config/kosmo-lua/config.toml"
    }
}

private final class AccountBox: @unchecked Sendable {
    var result: Result<JSONValue, any Error>?
}
