import Foundation
import KosmoCore

/// What `kosmo-lua journal FILE` shows: counts by state, what is still running, what failed.
public struct JournalSummary: Sendable {
    public var path: String
    public var script: ScriptIdentity?
    public var entries: [JournalEntry]

    public init(path: String, script: ScriptIdentity?, entries: [JournalEntry]) {
        self.path = path
        self.script = script
        self.entries = entries
    }

    /// Reads the journal at `path`.
    public static func read(_ path: String) throws(JournalError) -> JournalSummary {
        let journal = try Journal.read(path: path)
        return JournalSummary(path: path, script: try journal.script(), entries: try journal.entries())
    }

    /// How many creates are in each state (every state named, zero included).
    public var counts: [(JournalState, Int)] {
        JournalState.allCases.map { state in (state, entries.filter { $0.state == state }.count) }
    }

    /// Creates whose prediction or training had not finished when last seen (with an id).
    public var running: [JournalEntry] { entries.filter { !$0.state.isTerminal && $0.runID != nil } }
    /// Creates sent whose answer never arrived (no id yet): a rerun looks them up first.
    public var unanswered: [JournalEntry] { entries.filter { $0.runID == nil } }
    /// Creates whose prediction or training failed, was canceled or aborted.
    public var failed: [JournalEntry] { entries.filter { $0.state == .failed || $0.state == .canceled || $0.state == .aborted } }

    /// The error message of a failed create, from its latest JSON.
    static func errorText(_ entry: JournalEntry) -> String? {
        guard let latest = entry.latest, let value = try? JSONValue(parsing: latest) else { return nil }
        if let text = value["error"]?.stringValue { return text }
        if let error = value["error"], !error.isNull { return try? error.encodedString() }
        return nil
    }

    /// `--json`: `{journal, script, total, counts: {state: n}, running: [...], unanswered: [...], failed: [...]}`.
    public var json: JSONValue {
        func item(_ entry: JournalEntry) -> JSONValue {
            var fields: [String: JSONValue] = [
                "site": .string(entry.position.site), "ordinal": .int(Int64(entry.position.ordinal)),
                "function": .string(entry.function), "target": .string(entry.target), "kind": .string(entry.kind.rawValue),
                "state": .string(entry.state.rawValue),
            ]
            if let id = entry.runID { fields["id"] = .string(id) }
            if let error = Self.errorText(entry) { fields["error"] = .string(error) }
            return .object(fields)
        }
        var counts: [String: JSONValue] = [:]
        for (state, n) in self.counts { counts[state.rawValue] = .int(Int64(n)) }
        var fields: [String: JSONValue] = [
            "journal": .string(path), "total": .int(Int64(entries.count)), "counts": .object(counts),
            "running": .array(running.map(item)), "unanswered": .array(unanswered.map(item)), "failed": .array(failed.map(item)),
        ]
        if let script { fields["script"] = .object(["name": .string(script.name), "sha256": .string(script.digest)]) }
        return .object(fields)
    }

    /// The text form, for a person.
    public var text: String {
        var lines = ["journal \(path)" + (script.map { " of \($0.name)" } ?? ""), "\(entries.count) creates"]
        let nonzero = counts.filter { $0.1 > 0 }
        if !nonzero.isEmpty { lines.append("  " + nonzero.map { "\($0.0.rawValue) \($0.1)" }.joined(separator: ", ")) }
        if !running.isEmpty {
            lines.append("still running (\(running.count)):")
            lines += running.map { "  \($0.runID ?? "") \($0.state.rawValue) \($0.target) at \($0.position)" }
        }
        if !unanswered.isEmpty {
            lines.append("sent, no answer recorded (\(unanswered.count); a rerun looks them up before sending again):")
            lines += unanswered.map { "  \($0.target) at \($0.position)" }
        }
        if !failed.isEmpty {
            lines.append("failed (\(failed.count)):")
            lines += failed.map { entry in "  \(entry.runID ?? "") \(entry.state.rawValue) \(entry.target) at \(entry.position)" + (Self.errorText(entry).map { ": \($0)" } ?? "") }
        }
        return lines.joined(separator: "\n")
    }
}
