import Foundation
import GRDB

/// A run's journal of creates: a SQLite database (the system's SQLite, through GRDB) with one
/// row per create the script made — what it was, where in the script, when it was sent, the
/// prediction's or training's id once known and its state as last seen — so that the same
/// script run again reattaches each create to what it made instead of paying for it twice.
///
/// Every write is its own transaction, committed before the call goes on: a row says `sent`
/// before the request leaves, and gets its id as soon as the answer arrives. The database is in
/// WAL mode with `synchronous = NORMAL`: a killed process loses nothing it committed (only a
/// power loss can take the last commits back).
public final class Journal: Sendable {
    /// The journal file.
    public let path: String
    private let database: DatabaseQueue

    /// The schema's version, in `meta` under `format`.
    static let format = "1"

    private init(path: String, database: DatabaseQueue) {
        self.path = path
        self.database = database
    }

    /// Opens (or creates) the journal at `path` for `script`. A journal written by another
    /// script is refused, naming both; `reset` empties it first (starting over).
    public static func open(path: String, script: ScriptIdentity, reset: Bool) throws(JournalError) -> Journal {
        let journal = try connect(path, readOnly: false)
        do {
            try journal.database.write { db in
                try db.execute(sql: """
                    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
                    CREATE TABLE IF NOT EXISTS creates (
                      site TEXT NOT NULL, ordinal INTEGER NOT NULL, digest TEXT NOT NULL,
                      function TEXT NOT NULL, operation TEXT NOT NULL, target TEXT NOT NULL, version TEXT,
                      kind TEXT NOT NULL, sent_at REAL NOT NULL, run_id TEXT, state TEXT NOT NULL,
                      latest TEXT, updated_at REAL NOT NULL,
                      PRIMARY KEY (site, ordinal));
                    CREATE INDEX IF NOT EXISTS creates_run_id ON creates (run_id);
                    """)
                if reset {
                    try db.execute(sql: "DELETE FROM creates; DELETE FROM meta")
                }
                let meta = try Self.meta(db)
                if let format = meta["format"], format != Self.format {
                    throw JournalError("\(path) is a journal of format \(format), which this build does not read (it reads \(Self.format)); use another file, or --journal-reset to start it over")
                }
                if let digest = meta["script_digest"] {
                    guard digest == script.digest else {
                        let other = meta["script"] ?? "another script"
                        throw JournalError("\(path) is the journal of \(other) (sha256 \(digest.prefix(12))…), not of \(script.name) as it is now (sha256 \(script.digest.prefix(12))…): "
                            + "a journal answers only the script that wrote it, unchanged. Use another journal file, or --journal-reset to start this one over (its creates will be sent again)")
                    }
                    return
                }
                let now = String(Date().timeIntervalSince1970)
                for (key, value) in [("format", Self.format), ("script", script.name), ("script_digest", script.digest), ("created_at", now)] {
                    try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", arguments: [key, value])
                }
            }
        } catch let error as JournalError {
            throw error
        } catch {
            throw JournalError("cannot use the journal \(path): \(Self.describe(error))")
        }
        return journal
    }

    /// Opens an existing journal to read it (`kosmo-lua journal FILE`).
    public static func read(path: String) throws(JournalError) -> Journal {
        guard FileManager.default.fileExists(atPath: path) else { throw JournalError("no journal at \(path)") }
        let journal = try connect(path, readOnly: true)
        do {
            let hasTable = try journal.database.read { db in try db.tableExists("creates") && db.tableExists("meta") }
            guard hasTable else { throw JournalError("\(path) is a SQLite database but not a kosmo-lua journal (it has no creates table)") }
        } catch let error as JournalError {
            throw error
        } catch {
            throw JournalError("cannot read the journal \(path): \(Self.describe(error))")
        }
        return journal
    }

    private static func connect(_ path: String, readOnly: Bool) throws(JournalError) -> Journal {
        var configuration = Configuration()
        configuration.readonly = readOnly
        // Another process holding the journal (a second run of the same script) waits a
        // little, then fails with a clear error rather than corrupting anything.
        configuration.busyMode = .timeout(5)
        if !readOnly {
            configuration.prepareDatabase { db in
                try db.execute(sql: "PRAGMA journal_mode = WAL")
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
            }
        }
        do {
            return Journal(path: path, database: try DatabaseQueue(path: path, configuration: configuration))
        } catch {
            throw JournalError("cannot open the journal \(path): \(describe(error))")
        }
    }

    private static func describe(_ error: any Error) -> String {
        if let error = error as? DatabaseError {
            if error.resultCode == .SQLITE_NOTADB { return "it is not a SQLite database" }
            return error.message ?? "\(error.resultCode)"
        }
        return "\(error)"
    }

    private static func meta(_ db: Database) throws -> [String: String] {
        var meta: [String: String] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT key, value FROM meta") {
            if let key = row["key"] as String?, let value = row["value"] as String? { meta[key] = value }
        }
        return meta
    }

    /// The script the journal belongs to, as it recorded it (name and digest).
    public func script() throws(JournalError) -> ScriptIdentity? {
        let meta = try reading { db in try Self.meta(db) }
        guard let name = meta["script"], let digest = meta["script_digest"] else { return nil }
        return ScriptIdentity(name: name, digest: digest)
    }

    /// Every create in the journal, in the order they were sent.
    public func entries() throws(JournalError) -> [JournalEntry] {
        try reading { db in
            try Row.fetchAll(db, sql: "SELECT * FROM creates ORDER BY sent_at, site, ordinal").compactMap(Self.entry)
        }
    }

    private static func entry(_ row: Row) -> JournalEntry? {
        guard let site = row["site"] as String?, let ordinal = row["ordinal"] as Int?, let digest = row["digest"] as String?,
              let function = row["function"] as String?, let operation = row["operation"] as String?, let target = row["target"] as String?,
              let kind = (row["kind"] as String?).flatMap(CreatedKind.init(rawValue:)), let sentAt = row["sent_at"] as Double?,
              let state = (row["state"] as String?).flatMap(JournalState.init(rawValue:)) else { return nil }
        return JournalEntry(position: CreatePosition(site: site, ordinal: ordinal), digest: digest, function: function, operation: operation,
                            target: target, version: row["version"], kind: kind, sentAt: sentAt, runID: row["run_id"], state: state,
                            latest: row["latest"])
    }

    /// Records a create about to be sent (or sent again): state `sent`, no id. Committed before
    /// the request leaves.
    public func recordSending(_ entry: JournalEntry) throws(JournalError) {
        try writing { db in
            try db.execute(sql: """
                INSERT OR REPLACE INTO creates (site, ordinal, digest, function, operation, target, version, kind, sent_at, run_id, state, latest, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, NULL, ?)
                """, arguments: [entry.position.site, entry.position.ordinal, entry.digest, entry.function, entry.operation, entry.target,
                                 entry.version, entry.kind.rawValue, entry.sentAt, JournalState.sent.rawValue, Date().timeIntervalSince1970])
        }
    }

    /// Records what became of the create at `position`: its id, state and latest JSON.
    public func recordAnswer(_ position: CreatePosition, runID: String, state: JournalState, latest: String?) throws(JournalError) {
        try writing { db in
            try db.execute(sql: "UPDATE creates SET run_id = ?, state = ?, latest = COALESCE(?, latest), updated_at = ? WHERE site = ? AND ordinal = ?",
                           arguments: [runID, state.rawValue, latest, Date().timeIntervalSince1970, position.site, position.ordinal])
        }
    }

    /// Records the state of the prediction or training `runID` as last seen, if the journal
    /// holds it. A finished one is never set back to running.
    public func recordState(runID: String, state: JournalState, latest: String?) throws(JournalError) {
        try writing { db in
            try db.execute(sql: """
                UPDATE creates SET state = ?, latest = COALESCE(?, latest), updated_at = ?
                WHERE run_id = ? AND state NOT IN ('succeeded', 'failed', 'canceled', 'aborted')
                """, arguments: [state.rawValue, latest, Date().timeIntervalSince1970, runID])
        }
    }

    private func writing(_ body: (Database) throws -> Void) throws(JournalError) {
        do {
            try database.write(body)
        } catch let error as JournalError {
            throw error
        } catch {
            throw JournalError("cannot write the journal \(path): \(Self.describe(error))")
        }
    }

    private func reading<T>(_ body: (Database) throws -> T) throws(JournalError) -> T {
        do {
            return try database.read(body)
        } catch let error as JournalError {
            throw error
        } catch {
            throw JournalError("cannot read the journal \(path): \(Self.describe(error))")
        }
    }
}
