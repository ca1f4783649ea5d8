import Foundation
import Logging
import Replicate
import ReplicateLua

/// Writes a run log (`--log FILE`, format in `RunLogFormat`): opened before the run so a path
/// that cannot be written stops the run before it starts; lines appended as calls finish and
/// the client waits; the run's predictions read back, and their output files kept beside the
/// log, when the run ends (`finish`), so `kosmo-lua report FILE` can show them after the
/// service has deleted them.
final class RunLogWriter: @unchecked Sendable {
    struct Failure: Error { let message: String }

    let path: String
    /// Where output files go: `run.files` for `run.jsonl`.
    let filesDirectory: String
    private let handle: FileHandle
    private let lock = NSLock()
    private var session: ReplicateSession?
    private var predictionOrder: [String] = []
    private var trainingIDs: Set<String> = []

    /// Creates (or empties) `path` and writes the `run` line.
    init(path: String, script: String?) throws(Failure) {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL
        self.path = absolute.path
        filesDirectory = Self.filesDirectory(for: absolute).path
        guard FileManager.default.createFile(atPath: absolute.path, contents: nil),
              let handle = FileHandle(forWritingAtPath: absolute.path) else {
            throw Failure(message: "--log: cannot write \(path): \(String(cString: strerror(errno)))")
        }
        self.handle = handle
        write(RunLogStart(startedAt: Timestamps.text(Date()), kosmoLua: Version.kosmo, commit: Version.commit, script: script))
    }

    /// `run.jsonl` → `run.files`; `run` → `run.files`.
    static func filesDirectory(for log: URL) -> URL {
        let stem = log.pathExtension.isEmpty ? log.lastPathComponent : log.deletingPathExtension().lastPathComponent
        return log.deletingLastPathComponent().appendingPathComponent(stem + ".files")
    }

    /// The client configuration for a logged session: the client's retry decisions reach
    /// `RetryWaitRecorder`, which writes a `wait` line for each.
    func configuration(_ base: ReplicateConfiguration) -> ReplicateConfiguration {
        var configuration = base
        // The writer lives as long as the run (the process), so holding it here costs nothing.
        configuration.logger = Logger(label: "kosmo-lua.run-log") { _ in
            RetryWaitRecorder { wait in self.write(wait) }
        }
        return configuration
    }

    /// Logs every call `session` makes from now on; `finish` reads back its predictions.
    func attach(_ session: ReplicateSession) {
        lock.lock()
        self.session = session
        lock.unlock()
        session.callLog.observe { call in self.record(call) }
    }

    private func record(_ call: TimedCall) {
        if let id = call.record.predictionID {
            lock.lock()
            if !predictionOrder.contains(id) {
                predictionOrder.append(id)
                if call.record.function.contains("training") { trainingIDs.insert(id) }
            }
            lock.unlock()
        }
        write(RunLogCall(call: call))
    }

    /// Appends one JSON line; a line that cannot be encoded is skipped (every field is plain data).
    func write<Line: Encodable>(_ line: Line) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard var data = try? encoder.encode(line) else { return }
        data.append(0x0A)
        lock.lock()
        defer { lock.unlock() }
        try? handle.write(contentsOf: data)
    }

    /// Reads back the run's predictions (one `get_prediction` each, a few at a time) and keeps
    /// their output files, then writes the `end` line and closes the log. Trainings are named
    /// by their calls but not read back.
    func finish(exitStatus: Int32) {
        lock.lock()
        let session = self.session
        let ids = predictionOrder.filter { !trainingIDs.contains($0) }
        lock.unlock()
        if let session, !ids.isEmpty {
            if session.settings.policy.read.mode == .deny && !session.settings.policy.force {
                StandardError.report("warning: --log: reads are denied, so the run's predictions were not read back into \(path)")
            } else {
                RunLogReadBack(client: session.client, filesDirectory: filesDirectory, logDirectory: URL(fileURLWithPath: path).deletingLastPathComponent().path)
                    .predictions(ids) { [self] line in write(line) }
            }
        }
        write(RunLogEnd(endedAt: Timestamps.text(Date()), exitStatus: exitStatus))
        lock.lock()
        try? handle.close()
        lock.unlock()
    }
}

/// Turns the client's retry decisions ("retrying POST /v1/… after 429 in 1.0 s", logged at
/// debug level by its retry engine) into `wait` lines; drops every other message.
struct RetryWaitRecorder: LogHandler {
    let emit: @Sendable (RunLogWait) -> Void
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?
    var logLevel: Logger.Level = .debug

    init(_ emit: @escaping @Sendable (RunLogWait) -> Void) { self.emit = emit }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        if let wait = Self.wait(from: event.message.description, at: Date()) { emit(wait) }
    }

    /// `retrying METHOD PATH after STATUS in SECONDS s` → a wait; nil for any other text.
    static func wait(from message: String, at date: Date) -> RunLogWait? {
        let prefix = "retrying ", middle = " after ", suffix = " s"
        guard message.hasPrefix(prefix), message.hasSuffix(suffix),
              let after = message.range(of: middle, options: .backwards) else { return nil }
        let request = String(message[message.index(message.startIndex, offsetBy: prefix.count)..<after.lowerBound])
        let rest = message[after.upperBound..<message.index(message.endIndex, offsetBy: -suffix.count)]
        let parts = rest.split(separator: " ")
        guard parts.count == 3, parts[1] == "in", let status = Int(parts[0]), (100...599).contains(status),
              let seconds = Double(parts[2]), seconds.isFinite, seconds >= 0 else { return nil }
        return RunLogWait(at: Timestamps.text(date), request: request, status: status, seconds: seconds)
    }
}
