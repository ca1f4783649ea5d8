import Replicate

/// What the policy says about a call before anyone is asked.
public enum PermissionMode: String, Sendable, CaseIterable {
    case allow, ask, deny

    /// Parses `allow`, `ask` or `deny` (case-insensitive), naming `source` when it is none of them.
    public init(parsing text: String, source: String) throws(SettingsError) {
        guard let mode = PermissionMode(rawValue: text.lowercased().trimmingCharacters(in: .whitespaces)) else {
            throw SettingsError("\(source): '\(text)' is not a permission; use allow, ask or deny")
        }
        self = mode
    }
}

/// A policy setting and where it came from, so a denial can say what to change.
public struct PolicySetting: Sendable, Equatable {
    public var mode: PermissionMode
    /// `default`, `--write deny`, `KOSMO_LUA_WRITE`, `~/.config/kosmo-lua/config.toml`, …
    public var source: String

    public init(_ mode: PermissionMode, source: String) {
        self.mode = mode
        self.source = source
    }
}

/// The permission policy (docs/architecture.md): read and write map to allow / ask / deny, with per-function
/// overrides; `force` bypasses it (never the sandbox) and is recorded in the call log.
public struct PermissionPolicy: Sendable, Equatable {
    public var read = PolicySetting(.allow, source: "default")
    public var write = PolicySetting(.ask, source: "default")
    /// Per-function overrides, keyed by catalog name (`create_prediction`) or helper (`run`).
    public var functions: [String: PolicySetting] = [:]
    public var force = false

    public init() {}

    /// The setting that governs `function` (a helper name such as `run` first, then the catalog
    /// operation it performs, then its access class).
    public func setting(for function: String, operation: OperationSpec) -> PolicySetting {
        if let own = functions[function] { return own }
        if let op = functions[operation.name] { return op }
        return operation.access == .read ? read : write
    }

    /// Whether the tools that change things should be offered at all (MCP hides write tools
    /// when writes are denied).
    public var writesPossible: Bool { force || write.mode != .deny || functions.values.contains { $0.mode != .deny } }

    /// One line describing the policy, for `doctor` and `--trace`.
    public var summary: String {
        var parts = ["read \(read.mode.rawValue) (\(read.source))", "write \(write.mode.rawValue) (\(write.source))"]
        for name in functions.keys.sorted() {
            if let s = functions[name] { parts.append("\(name) \(s.mode.rawValue) (\(s.source))") }
        }
        if force { parts.append("--force: the policy is bypassed") }
        return parts.joined(separator: ", ")
    }
}

/// A bad flag, environment variable or config file entry.
public struct SettingsError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
