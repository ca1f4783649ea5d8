import Foundation
import Replicate
import ReplicateLua

/// How the command line builds `ReplicateSettings`: defaults, then the config file, then the
/// environment, then the flags, each overriding the one before.
extension ReplicateSettings {
    /// Resolves settings from the config file, the environment and `flags` (in that order).
    public static func resolve(flags: ReplicateFlags, environment: [String: String] = ProcessInfo.processInfo.environment) throws(SettingsError) -> ReplicateSettings {
        var settings = ReplicateSettings()
        if let path = ConfigFile.path(environment: environment) {
            let explicit = environment["KOSMO_LUA_CONFIG"].map { !$0.isEmpty } ?? false
            if FileManager.default.fileExists(atPath: path) {
                try ConfigFile(path: path).apply(to: &settings)
            } else if explicit {
                throw SettingsError("KOSMO_LUA_CONFIG names \(path), which does not exist")
            }
        }
        try settings.applyEnvironment(environment)
        for flag in flags.entries { try settings.apply(flag) }
        return settings
    }

    mutating func applyEnvironment(_ environment: [String: String]) throws(SettingsError) {
        func value(_ key: String) -> String? {
            guard let v = environment[key]?.trimmingCharacters(in: .whitespacesAndNewlines), !v.isEmpty else { return nil }
            return v
        }
        if let read = value("KOSMO_LUA_READ") { policy.read = PolicySetting(try PermissionMode(parsing: read, source: "KOSMO_LUA_READ"), source: "KOSMO_LUA_READ") }
        if let write = value("KOSMO_LUA_WRITE") { policy.write = PolicySetting(try PermissionMode(parsing: write, source: "KOSMO_LUA_WRITE"), source: "KOSMO_LUA_WRITE") }
        let fromEnvironment = ReplicateConfiguration.fromEnvironment(environment)
        if let token = fromEnvironment.token {
            self.token = token
            tokenSource = value("REPLICATE_API_TOKEN") != nil ? "REPLICATE_API_TOKEN" : "REPLICATE_API_KEY"
        }
        if value("REPLICATE_URL") != nil || value("REPLICATE_BASE_URL") != nil { baseURL = fromEnvironment.baseURL }
        schemaCache = Self.schemaCache(value("KOSMO_LUA_CACHE"), xdg: value("XDG_CACHE_HOME"), home: value("HOME"))
    }

    /// The user's cache directory for model interfaces: `KOSMO_LUA_CACHE` (`off` for none), else
    /// `$XDG_CACHE_HOME/kosmo-lua/schemas`, else `~/.cache/kosmo-lua/schemas`.
    static func schemaCache(_ explicit: String?, xdg: String?, home: String?) -> URL? {
        if let explicit { return explicit == "off" ? nil : URL(fileURLWithPath: explicit) }
        guard let base = xdg ?? home.map({ $0 + "/.cache" }) else { return nil }
        return URL(fileURLWithPath: base).appendingPathComponent("kosmo-lua/schemas")
    }

    mutating func apply(_ flag: ReplicateFlags.Entry) throws(SettingsError) {
        let source = "--\(flag.name)" + (flag.value.map { " \($0)" } ?? "")
        switch flag.name {
        case "read": policy.read = PolicySetting(try PermissionMode(parsing: flag.value ?? "", source: "--read"), source: source)
        case "write": policy.write = PolicySetting(try PermissionMode(parsing: flag.value ?? "", source: "--write"), source: source)
        case "allow", "deny":
            for name in try FunctionNames.parseList(flag.value ?? "", source: "--\(flag.name)") {
                policy.functions[name] = PolicySetting(flag.name == "allow" ? .allow : .deny, source: "--\(flag.name) \(name)")
            }
        case "force": policy.force = true
        case "allow-read": allowRead.append(try Self.directory(flag.value ?? "", flag: "--allow-read"))
        case "allow-write": allowWrite.append(try Self.directory(flag.value ?? "", flag: "--allow-write"))
        case "allow-download-host":
            guard let host = HostPattern(flag.value ?? "") else {
                throw SettingsError("--allow-download-host needs a host name, host:port or *.domain (such as cdn.example.com or 127.0.0.1:8080), got '\(flag.value ?? "")'")
            }
            allowDownloadHosts.append(host)
        case "max-predictions":
            do {
                let bound = BoundedNumber.maxPredictions
                maxPredictions = try bound.integer(try bound.parse(flag.value ?? "", name: "--max-predictions"), name: "--max-predictions")
            } catch {
                throw SettingsError(error.message)
            }
        case "max-predict-seconds":
            do {
                maxPredictSeconds = try BoundedNumber.maxPredictSeconds.parse(flag.value ?? "", name: "--max-predict-seconds")
            } catch {
                throw SettingsError(error.message)
            }
        case "journal":
            guard let path = flag.value, !path.isEmpty else { throw SettingsError("--journal needs the journal file's path, e.g. --journal batch.journal") }
            journalPath = path
        case "journal-reset": journalReset = true
        case "rate-creates", "rate-requests":
            do {
                let bound = BoundedNumber.perMinute
                let n = try bound.integer(try bound.parse(flag.value ?? "", name: "--\(flag.name)"), name: "--\(flag.name)")
                if flag.name == "rate-creates" { rateLimits.createsPerMinute = n } else { rateLimits.requestsPerMinute = n }
            } catch {
                throw SettingsError(error.message)
            }
        case "rate-window":
            do {
                rateLimits.window = try BoundedNumber.rateWindow.parse(flag.value ?? "", name: "--rate-window")
            } catch {
                throw SettingsError(error.message)
            }
        case "save":
            // Made on first use when missing (outside the sandbox); checked then, like every written file.
            guard let folder = flag.value, !folder.isEmpty, !folder.utf8.contains(0) else {
                throw SettingsError("--save needs a folder, e.g. --save outputs/")
            }
            let path = URL(fileURLWithPath: folder).standardizedFileURL.path
            // A file there is a mistake found now, before any Lua runs (or any output is made).
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
                throw SettingsError("--save \(folder): it is a file, not a folder; name a folder (it is made when missing)")
            }
            saveDirectory = path
        case "trace": trace = true
        case "quiet": quiet = true
        case "cancel-on-exit": cancelOnExit = true
        case "keep-running": keepRunning = true
        case "sim": simulate = true
        default: throw SettingsError("unknown option '--\(flag.name)'")
        }
    }

    /// An existing directory, made absolute and free of symbolic links, so grants compare by prefix.
    static func directory(_ path: String, flag: String) throws(SettingsError) -> String {
        var isDirectory: ObjCBool = false
        guard !path.isEmpty, FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw SettingsError("\(flag) needs an existing directory, got '\(path)'")
        }
        return URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }
}
