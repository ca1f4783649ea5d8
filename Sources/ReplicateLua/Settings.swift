import Foundation
import Replicate

/// Everything a host (the CLI, `exec`, `mcp`) decides about the `replicate` table: the
/// permission policy, file grants for the sandbox, the spend guard, tracing and progress.
///
/// Sources, lowest to highest: defaults, the config file, the environment, command-line flags
/// (docs/architecture.md, "Permission policy"). Build one with `ReplicateSettings.resolve(flags:…)`.
public struct ReplicateSettings: Sendable {
    public var policy = PermissionPolicy()
    /// Most predictions and trainings one run may create; nil is unlimited.
    public var maxPredictions: Int?
    /// Print each call to stderr as it happens.
    public var trace = false
    /// No progress line on stderr.
    public var quiet = false
    /// Run against the built-in simulator instead of the real API.
    public var simulate = false
    /// Directories the sandbox may read (`upload` from a path) and write (`download` to a path).
    public var allowRead: [String] = []
    public var allowWrite: [String] = []
    /// Hosts the sandbox may download from besides the API's own file hosts
    /// (`--allow-download-host`).
    public var allowDownloadHosts: [HostPattern] = []
    /// The API token and where it came from (for `doctor`); never shown.
    public var token: String?
    public var tokenSource: String?
    /// The API base URL.
    public var baseURL: URL = ReplicateConfiguration.defaultBaseURL
    /// The config file that was read, if any.
    public var configPath: String?
    /// Things worth telling the user once (a config file others can read…).
    public var warnings: [String] = []

    public init() {}

    /// The client configuration these settings describe.
    public var clientConfiguration: ReplicateConfiguration {
        ReplicateConfiguration(token: token, baseURL: baseURL)
    }

    /// Where `replicate.download` may fetch from: anywhere outside the sandbox; in it (agent
    /// code) only the API's file hosts and `--allow-download-host` ones.
    public func downloadHosts(sandboxed: Bool) -> DownloadHosts {
        sandboxed ? .replicateFiles(alsoAllowing: allowDownloadHosts) : .any
    }

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
        case "trace": trace = true
        case "quiet": quiet = true
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

/// The `replicate`-related command-line flags, collected in order by a command's parser and
/// applied last by `ReplicateSettings.resolve`.
public struct ReplicateFlags: Sendable {
    public struct Entry: Sendable {
        public let name: String
        public let value: String?
    }

    /// Flags that take a value (`--write deny`, `--write=deny`).
    public static let valued: Set<String> = ["read", "write", "allow", "deny", "allow-read", "allow-write", "allow-download-host", "max-predictions"]
    /// Flags that stand alone.
    public static let switches: Set<String> = ["force", "trace", "quiet", "sim"]

    public private(set) var entries: [Entry] = []

    public init() {}

    /// Whether `--name` (without its dashes) takes a value; nil when it is not a `replicate` flag.
    public static func takesValue(_ name: String) -> Bool? {
        if switches.contains(name) { return false }
        return valued.contains(name) ? true : nil
    }

    /// Records `--name value` (or `--name` for a switch), to be checked and applied by `resolve`.
    public mutating func add(_ name: String, value: String?) {
        entries.append(Entry(name: name, value: value))
    }

    /// The flags' usage lines, shared by every command's help.
    public static let usage = """
          --read MODE           reads: allow, ask or deny (default allow)
          --write MODE          writes: allow, ask or deny (default ask)
          --allow F1,F2         always allow these functions
          --deny F1,F2          always deny these functions
          --force               bypass the read/write policy (recorded in the call log)
          --allow-read DIR      sandbox: let upload read files under DIR
          --allow-write DIR     sandbox: let download write files under DIR
          --allow-download-host HOST
                                sandbox: let download fetch from HOST (host, host:port or
                                *.domain) too, besides the API's own file hosts
          --max-predictions N   create at most N predictions and trainings in this run (0 to 1000000)
          --trace               print every replicate call to stderr as it happens
          --quiet               no progress line while waiting for a model
          --sim                 use the built-in Replicate simulator (offline, no token)
        """
}

/// Names a per-function policy may use: the 37 functions, their `replicate_` aliases and the
/// helpers that call them.
enum FunctionNames {
    static let helpers = ["run", "stream", "wait", "upload", "download", "paginate"]

    static func canonical(_ name: String) -> String? {
        if helpers.contains(name) { return name }
        return Catalog.operation(named: name)?.name
    }

    static func parseList(_ text: String, source: String) throws(SettingsError) -> [String] {
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !names.isEmpty else { throw SettingsError("\(source) needs a comma-separated list of function names") }
        return try names.map { name throws(SettingsError) in try require(name, source: source) }
    }

    static func require(_ name: String, source: String) throws(SettingsError) -> String {
        if let canonical = canonical(name) { return canonical }
        var message = "\(source): '\(name)' is not a replicate function"
        if let near = Catalog.closest(to: name, among: Catalog.operations.map(\.name) + helpers) { message += "; did you mean '\(near)'?" }
        throw SettingsError(message)
    }
}
