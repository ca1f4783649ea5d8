import Foundation
import KosmoJournal
import Replicate

/// A creating call's place in the journal, fixed on the VM thread when the call is admitted:
/// the row it writes and, on a rerun, the row an earlier run wrote for the same create.
struct JournalPlace: Sendable {
    /// The row this create is recorded in (what it is; `sentAt` is set when it is sent).
    var entry: JournalEntry
    /// What an earlier run recorded for this create, which it reattaches to instead of sending.
    var earlier: JournalEntry?
}

/// The journal stage of the call pipeline (`CallStages.journal`): every create of a run recorded
/// in a SQLite journal (`Journal`) around its send, and on a rerun answered from it.
///
/// - Each create is placed by its call site and ordinal at that site (`place`, on the VM thread,
///   in the order the script makes them) and matched to the journal's row there when the input
///   digest and target agree; a row with the same site, digest and target elsewhere (tasks that
///   reached their creates in another order) matches too. A known position whose row differs is
///   a changed input: refused, never silently reused.
/// - A matched row with an id reattaches: its recorded state when finished, else the
///   prediction's current state fetched (a `run` then waits for it as usual). A matched row
///   without an id (sent, answer never recorded) is looked up among the account's predictions
///   created since it was sent, same model or version and input, before it is sent again.
/// - A new create is written `sent` before its request leaves and gets its id when the answer
///   arrives; a network error after sending (the create may have been made) is looked up too.
///
/// The database is opened on the run's first create, so a run without creates never opens it.
final class JournalStage: CallJournal, @unchecked Sendable {
    // Guards everything below: places are taken on the VM thread, sends finish on tasks.
    private let lock = NSLock()
    private var path: String?
    private let reset: Bool
    private let script: ScriptSource?
    private var journal: Journal?
    private var rows: [CreatePosition: JournalEntry] = [:]
    /// Rows a create of this run has taken (matched or written).
    private var taken: Set<CreatePosition> = []
    /// Every id the journal holds: a lookup never gives a create another row's prediction.
    private var knownIDs: Set<String> = []
    private var ordinals: [String: Int] = [:]
    private var placed = 0

    init(settings: ReplicateSettings) {
        path = settings.journalPath
        reset = settings.journalReset
        script = settings.script
    }

    /// Whether this run keeps a journal.
    var isOn: Bool { lock.withLock { path != nil } }

    /// `replicate.journal(path)`: keep the journal at `path` from now on. Refused after the
    /// run's first create (its earlier creates would be missing) or when another is in use.
    func use(_ newPath: String) throws {
        try lock.withLock {
            if let path, path != newPath {
                throw LuaErrors.validation(function: "journal", message: "replicate.journal: this run already keeps its journal in \(path) (--journal or the config file); it cannot change to \(newPath)")
            }
            guard placed == 0 || path == newPath else {
                throw LuaErrors.validation(function: "journal", message: "replicate.journal: call it before the script's first create; this run has made \(placed) already, which the journal would miss")
            }
            path = newPath
        }
    }

    // MARK: Placing a create (VM thread)

    /// Takes `call`'s place in the journal (opening it on the first create); nil when the run
    /// keeps no journal. Throws the error to raise: the journal cannot be used, or it holds a
    /// different create at this position.
    func place(_ call: ReplicateCall, site: String?) throws -> JournalPlace? {
        try lock.withLock {
            placed += 1
            guard let path else { return nil }
            let journal = try opened(path, function: call.function)
            let site = site ?? "(no Lua caller)"
            let ordinal = (ordinals[site] ?? 0) + 1
            ordinals[site] = ordinal
            let input = call.arguments["input"] ?? .object([:])
            guard let digest = InputDigest.of(input) else {
                throw LuaErrors.validation(function: call.function, message: "replicate.\(call.function): the input has no JSON form the journal can record")
            }
            let target = Self.target(of: call)
            let position = CreatePosition(site: site, ordinal: ordinal)
            var entry = JournalEntry(position: position, digest: digest, function: call.function, operation: call.operation.name, target: target,
                                     version: (call.arguments["version"] ?? call.arguments["version_id"])?.stringValue,
                                     kind: call.operation.creates == .training ? .training : .prediction, sentAt: 0)
            func same(_ row: JournalEntry) -> Bool { row.digest == digest && row.target == target }
            if let row = rows[position], !taken.contains(position) {
                if same(row) { return take(row) }
                if let moved = sameElsewhere(site: site, same) { return take(moved) }
                throw LuaErrors.validation(function: call.function, message: "replicate.\(call.function): the journal \(journal.path) recorded a different create at \(position) "
                    + "(\(row.target), input sha256 \(row.digest.prefix(12))…) than this one (\(target), input sha256 \(digest.prefix(12))…): "
                    + "the script's inputs changed since the journal was written. Use --journal-reset to start it over (its creates will be sent again), or another journal file")
            }
            if let moved = sameElsewhere(site: site, same) { return take(moved) }
            // A new create. Its ordinal's row may be one another create of this run took.
            if rows[position] != nil {
                let last = rows.keys.filter { $0.site == site }.map(\.ordinal).max() ?? ordinal
                entry.position = CreatePosition(site: site, ordinal: max(last, ordinal) + 1)
                ordinals[site] = max(ordinals[site] ?? 0, entry.position.ordinal)
            }
            taken.insert(entry.position)
            rows[entry.position] = entry
            return JournalPlace(entry: entry, earlier: nil)
        }
    }

    /// Takes an earlier run's row for this create (the lock held).
    private func take(_ row: JournalEntry) -> JournalPlace {
        taken.insert(row.position)
        return JournalPlace(entry: row, earlier: row)
    }

    /// An untaken row at `site` (lowest ordinal first) that `matches`.
    private func sameElsewhere(site: String, _ matches: (JournalEntry) -> Bool) -> JournalEntry? {
        rows.values.filter { $0.position.site == site && !taken.contains($0.position) && matches($0) }
            .min { $0.position.ordinal < $1.position.ordinal }
    }

    private func opened(_ path: String, function: String) throws -> Journal {
        if let journal { return journal }
        do throws(JournalError) {
            guard let script else {
                throw JournalError("this run has no script the journal could belong to")
            }
            let made = try Journal.open(path: path, script: try script.identity(), reset: reset)
            for row in try made.entries() {
                rows[row.position] = row
                if let id = row.runID { knownIDs.insert(id) }
            }
            journal = made
            return made
        } catch {
            throw LuaErrors.validation(function: function, message: "replicate.\(function): \(error.message)")
        }
    }

    /// What a create runs, as the journal compares it: the model (`owner/name`) when the call
    /// names one — so a model whose latest version moved on still matches — else the
    /// deployment, else the version.
    static func target(of call: ReplicateCall) -> String {
        let arguments = call.arguments
        if let model = call.model { return model.description }
        if let owner = arguments["model_owner"]?.stringValue, let name = arguments["model_name"]?.stringValue { return owner + "/" + name }
        if let owner = arguments["deployment_owner"]?.stringValue, let name = arguments["deployment_name"]?.stringValue { return "deployment:" + owner + "/" + name }
        return (arguments["version"] ?? arguments["version_id"])?.stringValue ?? call.operation.name
    }

    // MARK: Sending (tasks)

    func send(_ call: ReplicateCall, on client: ReplicateClient, _ send: @Sendable () async throws -> APIResponse) async throws -> APIResponse {
        guard let place = call.journalPlace, let journal = lock.withLock({ self.journal }) else { return try await send() }
        let function = call.function
        if let earlier = place.earlier {
            if let id = earlier.runID { return try await reattach(earlier, id: id, client: client, journal: journal, function: function) }
            if let found = try await lookUp(earlier, client: client) { return try answered(found, at: earlier.position, journal: journal, function: function) }
        }
        var entry = place.entry
        entry.sentAt = Date().timeIntervalSince1970
        try write(function) { try journal.recordSending(entry) }
        let response: APIResponse
        do {
            response = try await send()
        } catch let error as ReplicateError where error.kind == .network {
            // The request may have arrived and made the prediction, its answer lost: look first.
            if let found = try? await lookUp(entry, client: client) { return try answered(found, at: entry.position, journal: journal, function: function) }
            throw error
        }
        if let id = response.id { try answered(response, id: id, at: entry.position, journal: journal, function: function) }
        return response
    }

    /// An earlier run's create with an id: its recorded state when it had finished, else its
    /// state now.
    private func reattach(_ earlier: JournalEntry, id: String, client: ReplicateClient, journal: Journal, function: String) async throws -> APIResponse {
        if earlier.state.isTerminal, let latest = earlier.latest, let body = try? JSONValue(parsing: latest) {
            return APIResponse(status: 200, headers: [], body: body)
        }
        let now = earlier.kind == .training ? try await client.trainings.get(id).raw : try await client.predictions.get(id).raw
        return try answered(APIResponse(status: 200, headers: [], body: now), id: id, at: earlier.position, journal: journal, function: function)
    }

    /// Records `response` (the prediction or training `id`) as the answer of the row at `position`.
    @discardableResult
    private func answered(_ response: APIResponse, id: String, at position: CreatePosition, journal: Journal, function: String) throws -> APIResponse {
        let body = response.body
        let state = JournalState(apiStatus: body["status"]?.stringValue ?? "starting")
        lock.withLock { _ = knownIDs.insert(id) }
        try write(function) { try journal.recordAnswer(position, runID: id, state: state, latest: try? body.encodedString()) }
        return response
    }

    private func answered(_ found: JSONValue, at position: CreatePosition, journal: Journal, function: String) throws -> APIResponse {
        let response = APIResponse(status: 200, headers: [], body: found)
        return try answered(response, id: response.id ?? "", at: position, journal: journal, function: function)
    }

    /// The prediction an unanswered create made, if it made one: among the account's
    /// predictions created since a minute before it was sent (the clocks may differ), the
    /// oldest one with the same model or version and input that no other row holds. Trainings
    /// are looked for among the account's trainings.
    private func lookUp(_ entry: JournalEntry, client: ReplicateClient) async throws -> JSONValue? {
        let known = lock.withLock { knownIDs }
        func matches(_ run: JSONValue) -> Bool {
            guard let id = run["id"]?.stringValue, !known.contains(id), let input = run["input"], InputDigest.of(input) == entry.digest else { return false }
            if let version = entry.version { return run["version"]?.stringValue == version }
            if entry.target.hasPrefix("deployment:") { return true }
            return run["model"]?.stringValue == entry.target
        }
        var found: [JSONValue] = []
        if entry.kind == .training {
            for try await training in client.trainings.all() where matches(training.raw) { found.append(training.raw) }
        } else {
            let since = Date(timeIntervalSince1970: entry.sentAt - 60)
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            for try await prediction in client.predictions.all(createdAfter: formatter.string(from: since)) where matches(prediction.raw) {
                found.append(prediction.raw)
            }
        }
        guard let first = found.min(by: { ($0["created_at"]?.stringValue ?? "") < ($1["created_at"]?.stringValue ?? "") }) else { return nil }
        if let id = first["id"]?.stringValue {
            // Taken at once, so a second unanswered create with the same input finds another.
            let fresh = lock.withLock { knownIDs.insert(id).inserted }
            if !fresh { return nil }
        }
        return first
    }

    private func write(_ function: String, _ body: () throws -> Void) throws {
        do { try body() } catch {
            throw LuaErrors.validation(function: function, message: "replicate.\(function): \((error as? JournalError)?.message ?? "\(error)")")
        }
    }

    // MARK: States seen later

    /// Records a prediction's or training's state as the run saw it (a `run` or `wait` that
    /// finished, what was settled at the end), when the journal holds it. A failed write is
    /// not the script's error: the next rerun fetches the state instead.
    func observe(_ run: JSONValue) {
        guard let id = run["id"]?.stringValue, let status = run["status"]?.stringValue else { return }
        guard let journal = lock.withLock({ knownIDs.contains(id) ? self.journal : nil }) else { return }
        try? journal.recordState(runID: id, state: JournalState(apiStatus: status), latest: try? run.encodedString())
    }
}
