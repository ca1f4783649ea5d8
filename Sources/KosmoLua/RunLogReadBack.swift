import Foundation
import Replicate

/// The end of a logged run: each prediction read back from the API and its output files kept
/// in the log's files folder, named by their SHA-256 with the URL's extension, as `--save` names
/// them. Runs a few at a time; a prediction that cannot be read back is logged with its id only.
struct RunLogReadBack: Sendable {
    let client: ReplicateClient
    let filesDirectory: String
    /// Paths in `outputs` are relative to this folder (the log's).
    let logDirectory: String
    /// Reads and downloads at once: enough to overlap latency, few enough for the rate limits.
    static let concurrency = 8

    /// Reads back `ids`, handing each finished line to `emit` (in the order they finish).
    func predictions(_ ids: [String], emit: @escaping @Sendable (RunLogPrediction) -> Void) {
        let done = DispatchSemaphore(value: 0)
        let work = self
        Task.detached {
            await withTaskGroup(of: Void.self) { group in
                var next = 0
                func startOne() {
                    guard next < ids.count else { return }
                    let id = ids[next]
                    next += 1
                    group.addTask { emit(await work.prediction(id)) }
                }
                for _ in 0..<Self.concurrency { startOne() }
                while await group.next() != nil { startOne() }
            }
            done.signal()
        }
        done.wait()
    }

    func prediction(_ id: String) async -> RunLogPrediction {
        guard let prediction = try? await client.predictions.get(id) else {
            return RunLogPrediction(predictionID: id)
        }
        let fields = prediction.runFields
        var outputs: [SavedOutput] = []
        for url in OutputFiles.urls(in: fields.output) { outputs.append(await keep(url)) }
        return RunLogPrediction(
            predictionID: id, model: fields.model, version: fields.version, status: fields.status.rawValue,
            input: fields.input, output: fields.output, error: fields.error, createdAt: fields.createdAt,
            startedAt: fields.startedAt, completedAt: fields.completedAt, metrics: fields.metrics.map(JSONValue.object),
            outputs: outputs)
    }

    /// Downloads `url` into the files folder under its checksum; on failure, the URL alone.
    func keep(_ url: String) async -> SavedOutput {
        guard let parsed = URL(string: url) else { return SavedOutput(url: url) }
        let fm = FileManager.default
        do {
            try fm.createDirectory(atPath: filesDirectory, withIntermediateDirectories: true)
            let partial = filesDirectory + "/.download-" + UUID().uuidString
            let result = try await client.download(url: parsed, to: partial)
            // Hashed as it arrived (`DownloadResult.sha256`).
            let digest = result.sha256
            let name = OutputFiles.name(sha256: digest, url: parsed)
            let final = filesDirectory + "/" + name
            if fm.fileExists(atPath: final) { try? fm.removeItem(atPath: result.path) } else { try fm.moveItem(atPath: result.path, toPath: final) }
            return SavedOutput(url: url, path: Self.relative(final, to: logDirectory), sha256: digest, bytes: result.bytes)
        } catch {
            return SavedOutput(url: url)
        }
    }

    /// `path` relative to `directory` when inside it, else absolute.
    static func relative(_ path: String, to directory: String) -> String {
        let base = directory.hasSuffix("/") ? directory : directory + "/"
        return path.hasPrefix(base) ? String(path.dropFirst(base.count)) : path
    }
}
