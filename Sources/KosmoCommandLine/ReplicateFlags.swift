/// The `replicate`-related command-line flags, collected in order by a command's parser and
/// applied last by `ReplicateSettings.resolve`.
public struct ReplicateFlags: Sendable {
    public struct Entry: Sendable {
        public let name: String
        public let value: String?
    }

    /// Flags that take a value (`--write deny`, `--write=deny`).
    public static let valued: Set<String> = ["read", "write", "allow", "deny", "allow-read", "allow-write", "allow-download-host", "max-predictions",
                                             "max-predict-seconds", "journal", "rate-creates", "rate-requests", "rate-window", "save"]
    /// Flags that stand alone.
    public static let switches: Set<String> = ["force", "trace", "quiet", "sim", "cancel-on-exit", "keep-running", "journal-reset"]

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
          --max-predict-seconds N
                                create no more once the run's predictions and trainings have
                                used N seconds of predict time (0 to 31536000)
          --rate-creates N      send at most N creates a minute, from all tasks together
                                (default 600, the service's limit; 0 unpaced)
          --rate-requests N     send at most N other API requests a minute (default 3000; 0 unpaced)
          --rate-window SECONDS the window those limits count over (default 60; 1 to 3600)
          --save DIR            download every output file of every run into DIR (named by
                                its SHA-256) and list each prediction in DIR/manifest.jsonl
          --cancel-on-exit      when the run fails or is stopped, cancel the predictions and
                                trainings it created that are still running (it always names them)
          --keep-running        exec, mcp: leave them running instead (exec and mcp cancel them
                                by default); the envelope lists them under running
          --journal FILE        scripts and exec (not mcp): record every create in the SQLite
                                journal FILE; running the script again with it reattaches each
                                create to the prediction it made instead of paying for it twice
          --journal-reset       empty the journal first: start the batch over
          --trace               print every replicate call to stderr as it happens
          --quiet               no progress line while waiting for a model
          --sim                 use the built-in Replicate simulator (offline, no token)
        """
}
