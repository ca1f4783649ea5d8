import Foundation
import ReplicateLua
import TOMLKit

/// `~/.config/kosmo-lua/config.toml` (or `KOSMO_LUA_CONFIG`):
///
/// ```toml
/// [replicate]
/// api_token = "r8_…"          # warned about when others can read the file
/// base_url = "https://api.replicate.com/v1"
/// journal = "batch.journal"   # as --journal (relative to the working directory)
///
/// [permissions]
/// read = "allow"
/// write = "ask"
/// max_predictions = 20
/// max_predict_seconds = 600
///
/// [permissions.functions]
/// create_prediction = "allow"
/// delete_model = "deny"
/// ```
struct ConfigFile {
    let path: String

    /// Where the config file is looked for: `KOSMO_LUA_CONFIG`, else
    /// `$XDG_CONFIG_HOME/kosmo-lua/config.toml`, else `~/.config/kosmo-lua/config.toml`.
    static func path(environment: [String: String]) -> String? {
        if let explicit = environment["KOSMO_LUA_CONFIG"], !explicit.isEmpty { return explicit }
        if let xdg = environment["XDG_CONFIG_HOME"], !xdg.isEmpty { return xdg + "/kosmo-lua/config.toml" }
        guard let home = environment["HOME"], !home.isEmpty else { return nil }
        return home + "/.config/kosmo-lua/config.toml"
    }

    func apply(to settings: inout ReplicateSettings) throws(SettingsError) {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw SettingsError("cannot read \(path): \(error.localizedDescription)")
        }
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw SettingsError("\(path):\(error.source.begin.line):\(error.source.begin.column): \(error.description)")
        } catch {
            throw SettingsError("\(path): \(error)")
        }
        settings.configPath = path
        for key in table.keys where !["replicate", "permissions"].contains(key) {
            throw SettingsError("\(path): unknown section [\(key)]; expected [replicate] or [permissions]")
        }
        if let replicate = table["replicate"] {
            guard let section = replicate.table else { throw SettingsError("\(path): 'replicate' must be a section, [replicate]") }
            try applyReplicate(section, to: &settings)
        }
        if let permissions = table["permissions"] {
            guard let section = permissions.table else { throw SettingsError("\(path): 'permissions' must be a section, [permissions]") }
            try applyPermissions(section, to: &settings)
        }
    }

    private func string(_ table: TOMLTable, _ key: String, in section: String) throws(SettingsError) -> String? {
        guard let value = table[key] else { return nil }
        guard let text = value.string else { throw SettingsError("\(path): [\(section)] \(key) must be a string") }
        return text
    }

    private func applyReplicate(_ section: TOMLTable, to settings: inout ReplicateSettings) throws(SettingsError) {
        for key in section.keys where !["api_token", "base_url", "journal", "rate_creates", "rate_requests", "rate_window"].contains(key) {
            throw SettingsError("\(path): unknown key '\(key)' in [replicate]; expected api_token, base_url, journal, rate_creates, rate_requests or rate_window")
        }
        if let journal = try string(section, "journal", in: "replicate") {
            guard !journal.isEmpty else { throw SettingsError("\(path): [replicate] journal must name a file") }
            settings.journalPath = journal
        }
        for key in ["rate_creates", "rate_requests"] {
            guard let value = section[key] else { continue }
            let name = "[replicate] \(key)"
            let bound = BoundedNumber.perMinute
            // A TOML integer is an Int64, so Double(n) only rounds values far outside the range.
            guard let n = value.int else {
                throw SettingsError("\(path): " + bound.error(name: name, shown: value.double.map(BoundedNumber.text(of:)) ?? "a \(value.type)").message)
            }
            do {
                let count = try bound.integer(Double(n), name: name, shown: String(n))
                if key == "rate_creates" { settings.rateLimits.createsPerMinute = count } else { settings.rateLimits.requestsPerMinute = count }
            } catch {
                throw SettingsError("\(path): " + error.message)
            }
        }
        if let value = section["rate_window"] {
            let name = "[replicate] rate_window"
            guard let seconds = value.double ?? value.int.map(Double.init) else {
                throw SettingsError("\(path): " + BoundedNumber.rateWindow.error(name: name, shown: "a \(value.type)").message)
            }
            do { settings.rateLimits.window = try BoundedNumber.rateWindow.check(seconds, name: name) } catch {
                throw SettingsError("\(path): " + error.message)
            }
        }
        if let token = try string(section, "api_token", in: "replicate"), !token.isEmpty {
            settings.token = token
            settings.tokenSource = path
            if let mode = (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int, mode & 0o077 != 0 {
                settings.warnings.append(
                    "\(path) holds your API token and other users can read it; run: chmod 600 \(path)")
            }
        }
        if let base = try string(section, "base_url", in: "replicate") {
            guard let url = URL(string: base), let scheme = url.scheme?.lowercased(), url.host != nil else {
                throw SettingsError("\(path): [replicate] base_url '\(base)' is not an absolute URL")
            }
            guard scheme == "https" || scheme == "http" else {
                throw SettingsError("\(path): [replicate] base_url '\(base)' is not an http or https URL")
            }
            settings.baseURL = url
        }
    }

    private func applyPermissions(_ section: TOMLTable, to settings: inout ReplicateSettings) throws(SettingsError) {
        for key in section.keys where !["read", "write", "functions", "max_predictions", "max_predict_seconds"].contains(key) {
            throw SettingsError("\(path): unknown key '\(key)' in [permissions]; expected read, write, max_predictions, max_predict_seconds or [permissions.functions]")
        }
        let source = path
        if let read = try string(section, "read", in: "permissions") {
            settings.policy.read = PolicySetting(try PermissionMode(parsing: read, source: "\(path): [permissions] read"), source: source)
        }
        if let write = try string(section, "write", in: "permissions") {
            settings.policy.write = PolicySetting(try PermissionMode(parsing: write, source: "\(path): [permissions] write"), source: source)
        }
        if let max = section["max_predictions"] {
            let name = "[permissions] max_predictions"
            let bound = BoundedNumber.maxPredictions
            // A TOML integer is an Int64, so Double(n) only rounds values far outside the range.
            guard let n = max.int else {
                throw SettingsError("\(path): " + bound.error(name: name, shown: max.double.map(BoundedNumber.text(of:)) ?? "a \(max.type)").message)
            }
            do { settings.maxPredictions = try bound.integer(Double(n), name: name, shown: String(n)) } catch {
                throw SettingsError("\(path): " + error.message)
            }
        }
        if let seconds = section["max_predict_seconds"] {
            let name = "[permissions] max_predict_seconds"
            let bound = BoundedNumber.maxPredictSeconds
            // An integer or a float; a TOML integer is an Int64, far beyond the range when Double(n) rounds.
            guard let value = seconds.double ?? seconds.int.map(Double.init) else {
                throw SettingsError("\(path): " + bound.error(name: name, shown: "a \(seconds.type)").message)
            }
            do { settings.maxPredictSeconds = try bound.check(value, name: name) } catch {
                throw SettingsError("\(path): " + error.message)
            }
        }
        if let functions = section["functions"] {
            guard let table = functions.table else { throw SettingsError("\(path): 'functions' must be a section, [permissions.functions]") }
            for key in table.keys.sorted() {
                let name = try FunctionNames.require(key, source: "\(path): [permissions.functions]")
                guard let text = table[key]?.string else { throw SettingsError("\(path): [permissions.functions] \(key) must be \"allow\", \"ask\" or \"deny\"") }
                settings.policy.functions[name] = PolicySetting(try PermissionMode(parsing: text, source: "\(path): [permissions.functions] \(key)"), source: source)
            }
        }
    }
}
