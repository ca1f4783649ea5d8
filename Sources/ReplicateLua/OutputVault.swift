import Foundation
import LuaHost
import Replicate

/// A `--save` folder (`opts.save` on `run`, `wait`, `map`): every file output of every finished
/// prediction downloaded into it, named by its SHA-256 with the URL's extension, and one line a
/// prediction in its `manifest.jsonl` (`prediction_id`, `model`, `version`, `status`, `input`,
/// `output`, `error`, `outputs` as `{url, path, sha256, bytes}` with `path` relative to the
/// folder, `timings`), the format `kosmo-lua report` reads.
///
/// Files are written through the one check every file a `replicate` function writes passes
/// (`ReplicateSession.checkWriteTarget`: the sandbox's `--allow-write` grants, never a
/// directory or a device) and the one download path (`ReplicateClient.download`: streamed to a
/// temporary file, hashed as it arrives, renamed into place only when the whole body came). A
/// file counts as saved only once its manifest line is written, after the file is in place, so
/// a download cut half way is never listed. A prediction whose listed files are all on disk
/// with their checksums is not downloaded again; one with a file missing or changed is, and its
/// new line (which `report` prefers, being later) replaces the old.
final class OutputVault: @unchecked Sendable {
    /// The folder, absolute.
    let directory: String
    private let manifestPath: String
    // Guards `saved` and appends to the manifest.
    private let lock = NSLock()
    /// What the manifest lists per prediction: each output's path (relative) and checksum.
    private var saved: [String: [Listed]] = [:]

    struct Listed: Sendable {
        var path: String?
        var sha256: String?
        var bytes: Int?
    }

    /// Opens `directory` (made when missing, outside the sandbox), reading what its manifest
    /// lists already.
    init(directory requested: String, session: ReplicateSession, function: String) throws {
        let absolute = URL(fileURLWithPath: requested).standardizedFileURL.path
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: absolute, isDirectory: &isDirectory) {
            guard !session.sandboxed else {
                throw LuaErrors.validation(function: function, message: "replicate.\(function): the save folder \(requested) does not exist; make it inside a directory granted with --allow-write")
            }
            do {
                try FileManager.default.createDirectory(atPath: absolute, withIntermediateDirectories: true)
            } catch {
                throw LuaErrors.validation(function: function, message: "replicate.\(function): cannot make the save folder \(requested): \(error.localizedDescription)")
            }
        } else if !isDirectory.boolValue {
            throw LuaErrors.validation(function: function, message: "replicate.\(function): the save folder \(requested) is not a directory")
        }
        // The manifest is a file this run writes: it gets the check every written file gets.
        let manifest = try session.checkWriteTarget(absolute + "/manifest.jsonl", function: function)
        manifestPath = manifest.path
        directory = manifest.directory
        saved = Self.read(manifestPath)
    }

    /// What an existing manifest lists; lines that do not parse (one cut short by a crash) are
    /// skipped, a later line for the same prediction wins.
    private static func read(_ path: String) -> [String: [Listed]] {
        guard let data = FileManager.default.contents(atPath: path) else { return [:] }
        var listed: [String: [Listed]] = [:]
        for line in data.split(separator: 0x0A) {
            guard let object = try? JSONValue(parsing: Data(line)), let id = object["prediction_id"]?.stringValue else { continue }
            listed[id] = (object["outputs"]?.arrayValue ?? []).map {
                Listed(path: $0["path"]?.stringValue, sha256: $0["sha256"]?.stringValue, bytes: $0["bytes"]?.intValue.map(Int.init))
            }
        }
        return listed
    }

    /// Whether `id` is listed with every output on disk and matching its checksum.
    func isSaved(_ id: String) -> Bool {
        guard let outputs = lock.withLock({ saved[id] }) else { return false }
        return outputs.allSatisfy { output in
            guard let path = output.path, let sha = output.sha256, !path.hasPrefix("/"), !path.split(separator: "/").contains("..") else { return false }
            guard let found = FileDigest.sha256(ofFileAt: directory + "/" + path) else { return false }
            return found.sha256 == sha && (output.bytes.map { $0 == found.bytes } ?? true)
        }
    }

    /// Saves a finished `prediction`'s files and writes its manifest line, unless it is saved
    /// and verified already. A file that cannot be fetched (the service deleted it, a host the
    /// sandbox refuses) is listed with its URL and the reason, without a path: it does not count
    /// as saved, and a later save tries again.
    func save(_ prediction: Prediction, client: ReplicateClient, session: ReplicateSession, function: String) async throws {
        guard prediction.status.isTerminal, !isSaved(prediction.id) else { return }
        let hosts = session.settings.downloadHosts(sandboxed: session.sandboxed)
        var outputs: [JSONValue] = []
        for url in OutputFiles.urls(in: prediction.output) {
            try Task.checkCancellation()
            outputs.append(await keep(url, client: client, session: session, hosts: hosts, function: function))
        }
        let fields = prediction.runFields
        var timings: [String: JSONValue] = [:]
        if let t = fields.createdAt { timings["created_at"] = .string(t) }
        if let t = fields.startedAt { timings["started_at"] = .string(t) }
        if let t = fields.completedAt { timings["completed_at"] = .string(t) }
        for key in ["predict_time", "total_time"] { if let v = fields.metrics?[key] { timings[key] = v } }
        var line: [String: JSONValue] = [
            "prediction_id": .string(prediction.id), "status": .string(fields.status.rawValue),
            "input": fields.input ?? .object([:]), "outputs": .array(outputs), "timings": .object(timings),
        ]
        if let model = fields.model { line["model"] = .string(model) }
        if let version = fields.version { line["version"] = .string(version) }
        if let output = fields.output { line["output"] = output }
        if let error = fields.error, !error.isNull { line["error"] = error }
        try append(JSONValue.object(line), id: prediction.id)
    }

    /// Downloads `url` into the folder under its checksum; the manifest's entry for it.
    private func keep(_ url: String, client: ReplicateClient, session: ReplicateSession, hosts: DownloadHosts, function: String) async -> JSONValue {
        var entry: [String: JSONValue] = ["url": .string(url)]
        guard let parsed = URL(string: url) else { return .object(entry) }
        let ext = OutputFiles.fileExtension(parsed)
        do {
            let incoming = try session.checkWriteTarget(directory + "/.incoming-" + UUID().uuidString + ext, function: function)
            let result = try await client.download(url: parsed, to: incoming, hosts: hosts, operation: function)
            let name = OutputFiles.name(sha256: result.sha256, url: parsed)
            let final = try session.checkWriteTarget(directory + "/" + name, function: function)
            // Same folder, so rename(2) moves it atomically; the same name means the same bytes.
            guard rename(result.path, final.path) == 0 else {
                let reason = String(cString: strerror(errno))
                unlink(result.path)
                entry["error"] = .string("cannot move the file into place: \(reason)")
                return .object(entry)
            }
            entry["path"] = .string(name)
            entry["sha256"] = .string(result.sha256)
            entry["bytes"] = .int(Int64(result.bytes))
        } catch {
            entry["error"] = .string(Self.describe(error))
        }
        return .object(entry)
    }

    /// What went wrong, as a line for the manifest: a client error's message, a raised error
    /// table's `message`.
    private static func describe(_ error: any Error) -> String {
        if let failure = error as? ReplicateError { return failure.message }
        if let raise = error as? LuaRaise {
            if case .table(let fields) = raise.value, let message = fields.first(where: { $0.0 == "message" })?.1, case .string(let text) = message { return text }
            if case .string(let text) = raise.value { return text }
        }
        return "\(error)"
    }

    /// Appends one line and fsyncs it, so a line is either whole on disk or not there (a reader
    /// skips a line cut short).
    private func append(_ line: JSONValue, id: String) throws {
        var text: Data
        do { text = try line.encoded() } catch { return }
        text.append(0x0A)
        let outputs = (line["outputs"]?.arrayValue ?? []).map {
            Listed(path: $0["path"]?.stringValue, sha256: $0["sha256"]?.stringValue, bytes: $0["bytes"]?.intValue.map(Int.init))
        }
        try lock.withLock {
            let fd = open(manifestPath, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw ReplicateError(kind: .validation, message: "cannot write \(manifestPath): \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            // A line left unfinished by a crash is closed first, so this one starts on its own.
            var end = stat()
            if fstat(fd, &end) == 0, end.st_size > 0 {
                var last: UInt8 = 0
                if pread(fd, &last, 1, end.st_size - 1) == 1, last != 0x0A { text.insert(0x0A, at: 0) }
            }
            let written = text.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard written == text.count else { throw ReplicateError(kind: .validation, message: "cannot write \(manifestPath): \(String(cString: strerror(errno)))") }
            fsync(fd)
            saved[id] = outputs
        }
    }
}

/// The save folders a session's calls name, each opened once, so every task saving into one
/// folder shares its manifest and what it lists.
final class OutputVaults: @unchecked Sendable {
    // Guards `open`; held only to look up or insert.
    private let lock = NSLock()
    private var vaults: [String: OutputVault] = [:]

    /// The vault for `directory` (on the VM thread, at a call's resolve stage: a folder that
    /// cannot be used fails the call before anything is created).
    func vault(_ directory: String, session: ReplicateSession, function: String) throws -> OutputVault {
        let key = URL(fileURLWithPath: directory).standardizedFileURL.path
        if let found = lock.withLock({ vaults[key] }) { return found }
        let made = try OutputVault(directory: directory, session: session, function: function)
        return lock.withLock {
            if let found = vaults[key] { return found }
            vaults[key] = made
            return made
        }
    }
}
