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
        try refuseForeign(path)
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
        } catch let error as Damaged {
            throw damaged(path, error)
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

    /// Refuses a file that holds a SQLite database other than a journal, before anything is
    /// written to it (the journal's tables, or even its WAL mode): a mistyped `--journal` must
    /// not change someone's database. A new or empty file, or a journal, passes.
    private static func refuseForeign(_ path: String) throws(JournalError) {
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
        guard let size, size > 0 else { return }
        let existing = try connect(path, readOnly: true)
        let tables: [String]
        do {
            tables = try existing.database.read { db in
                try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            }
        } catch {
            throw JournalError("cannot use the journal \(path): \(Self.describe(error)); use another file")
        }
        guard tables.isEmpty || (tables.contains("meta") && tables.contains("creates")) else {
            throw JournalError("\(path) is a SQLite database but not a kosmo-lua journal (its tables: \(tables.prefix(5).joined(separator: ", "))"
                + "\(tables.count > 5 ? ", …" : "")); nothing was written to it. Use another file for the journal")
        }
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
            if let key: String = try column(row, "key", of: "meta"), let value: String = try column(row, "value", of: "meta") { meta[key] = value }
        }
        return meta
    }

    /// The value of `name` in `row`, nil for NULL. A value of another type (a damaged or
    /// edited file) is a `JournalError` naming the table and column: GRDB's subscript would
    /// stop the process on it.
    private static func column<Value: DatabaseValueConvertible>(_ row: Row, _ name: String, of table: String) throws -> Value? {
        do {
            return try row.decode(Value?.self, forColumn: name)
        } catch {
            let held: String
            switch (row[name] as DatabaseValue).storage {
            case .blob(let data): held = "a blob of \(data.count) bytes"
            case .int64(let value): held = "the integer \(value)"
            case .double(let value): held = "the number \(value)"
            case .string(let text): held = "the text \"\(text.prefix(40))\""
            case .null: held = "NULL"
            }
            throw Damaged(detail: "its \(table) table's column '\(name)' holds \(held) where \(Value.self == Double.self || Value.self == Int.self ? "a number" : "text") belongs")
        }
    }

    /// A value the journal cannot have written; made a `JournalError` with the path (`damaged`).
    private struct Damaged: Error { let detail: String }

    private static func damaged(_ path: String, _ problem: Damaged) -> JournalError {
        JournalError("the journal \(path) is damaged: \(problem.detail); use --journal-reset to start it over, or another file")
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
            try Row.fetchAll(db, sql: "SELECT * FROM creates ORDER BY sent_at, site, ordinal").compactMap { row in try Self.entry(row) }
        }
    }

    private static func entry(_ row: Row) throws -> JournalEntry? {
        func text(_ name: String) throws -> String? { try column(row, name, of: "creates") }
        guard let site = try text("site"), let ordinal: Int = try column(row, "ordinal", of: "creates"), let digest = try text("digest"),
              let function = try text("function"), let operation = try text("operation"), let target = try text("target"),
              let kind = try text("kind").flatMap(CreatedKind.init(rawValue:)), let sentAt: Double = try column(row, "sent_at", of: "creates"),
              let state = try text("state").flatMap(JournalState.init(rawValue:)) else { return nil }
        return JournalEntry(position: CreatePosition(site: site, ordinal: ordinal), digest: digest, function: function, operation: operation,
                            target: target, version: try text("version"), kind: kind, sentAt: sentAt, runID: try text("run_id"), state: state,
                            latest: try text("latest"))
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
        } catch let error as Damaged {
            throw Self.damaged(path, error)
        } catch {
            throw JournalError("cannot read the journal \(path): \(Self.describe(error))")
        }
    }
}
