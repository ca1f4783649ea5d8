import Foundation
import KosmoCommandLine
@testable import ReplicateLua
import Testing

@Suite("Settings: config file, environment, flags")
struct SettingsTests {
    func withConfig(_ text: String, mode: Int = 0o600, _ body: (String) throws -> Void) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kosmo-\(UUID().uuidString).toml").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        defer { try? FileManager.default.removeItem(atPath: path) }
        try body(path)
    }

    @Test("Sources stack: defaults < config file < environment < flags")
    func precedence() throws {
        try withConfig("""
            [replicate]
            api_token = "r8_from_file"

            [permissions]
            read = "ask"
            write = "deny"
            max_predictions = 7

            [permissions.functions]
            create_prediction = "allow"
            replicate_delete_model = "deny"
            """) { path in
            let fileOnly = try ReplicateSettings.resolve(flags: ReplicateFlags(), environment: ["KOSMO_LUA_CONFIG": path])
            #expect(fileOnly.policy.read.mode == .ask && fileOnly.policy.write.mode == .deny)
            #expect(fileOnly.policy.functions["create_prediction"]?.mode == .allow)
            #expect(fileOnly.policy.functions["delete_model"]?.mode == .deny)
            #expect(fileOnly.maxPredictions == 7)
            #expect(fileOnly.token == "r8_from_file" && fileOnly.tokenSource == path)
            #expect(fileOnly.warnings.isEmpty)

            let environment = ["KOSMO_LUA_CONFIG": path, "KOSMO_LUA_WRITE": "ask", "REPLICATE_API_TOKEN": "r8_from_env"]
            let withEnvironment = try ReplicateSettings.resolve(flags: ReplicateFlags(), environment: environment)
            #expect(withEnvironment.policy.write == PolicySetting(.ask, source: "KOSMO_LUA_WRITE"))
            #expect(withEnvironment.token == "r8_from_env")

            var flags = ReplicateFlags()
            flags.add("write", value: "allow")
            flags.add("deny", value: "get_model,run")
            flags.add("max-predictions", value: "3")
            flags.add("force", value: nil)
            let withFlags = try ReplicateSettings.resolve(flags: flags, environment: environment)
            #expect(withFlags.policy.write == PolicySetting(.allow, source: "--write allow"))
            #expect(withFlags.policy.functions["get_model"]?.mode == .deny && withFlags.policy.functions["run"]?.mode == .deny)
            #expect(withFlags.maxPredictions == 3 && withFlags.policy.force)
        }
    }

    @Test("A token in a file others can read draws a warning naming the fix")
    func readableTokenWarning() throws {
        try withConfig("[replicate]\napi_token = \"r8_secret\"\n", mode: 0o644) { path in
            let settings = try ReplicateSettings.resolve(flags: ReplicateFlags(), environment: ["KOSMO_LUA_CONFIG": path])
            #expect(settings.warnings.count == 1)
            #expect(settings.warnings.first?.contains("chmod 600 \(path)") == true)
            #expect(settings.warnings.first?.contains("r8_secret") == false)
        }
    }

    @Test("Bad entries are errors that name the file, the key and the fix")
    func badEntries() throws {
        try withConfig("[permissions]\nwrite = \"sometimes\"\n") { path in
            #expect(throws: SettingsError.self) { try ReplicateSettings.resolve(flags: ReplicateFlags(), environment: ["KOSMO_LUA_CONFIG": path]) }
            do { _ = try ReplicateSettings.resolve(flags: ReplicateFlags(), environment: ["KOSMO_LUA_CONFIG": path]) } catch let error as SettingsError {
                #expect(error.message.contains(path) && error.message.contains("'sometimes'") && error.message.contains("allow, ask or deny"))
            }
        }
        try withConfig("[permissions.functions]\nget_modle = \"deny\"\n") { path in
            do {
                _ = try ReplicateSettings.resolve(flags: ReplicateFlags(), environment: ["KOSMO_LUA_CONFIG": path])
                Issue.record("a misspelt function name was accepted")
            } catch let error as SettingsError {
                #expect(error.message.contains("did you mean 'get_model'?"))
            }
        }
        try withConfig("[permissions\nread = 1") { path in
            do {
                _ = try ReplicateSettings.resolve(flags: ReplicateFlags(), environment: ["KOSMO_LUA_CONFIG": path])
                Issue.record("broken TOML was accepted")
            } catch let error as SettingsError {
                #expect(error.message.hasPrefix(path + ":1:"))
            }
        }
        var flags = ReplicateFlags()
        flags.add("write", value: "yes")
        #expect(throws: SettingsError.self) { try ReplicateSettings.resolve(flags: flags, environment: [:]) }
        var maxFlags = ReplicateFlags()
        maxFlags.add("max-predictions", value: "-1")
        #expect(throws: SettingsError.self) { try ReplicateSettings.resolve(flags: maxFlags, environment: [:]) }
        #expect(throws: SettingsError.self) { try ReplicateSettings.resolve(flags: ReplicateFlags(), environment: ["KOSMO_LUA_CONFIG": "/nonexistent/kosmo.toml"]) }
    }
}
