import Foundation
import Replicate

/// Reads a `RunReport` from a `--save` folder (its `manifest.jsonl`: one prediction a line) or
/// from a run log written with `--log` (`RunLogFormat`). Every line is checked; a bad one is
/// reported with its file and line number.
enum RunReportReader {
    struct Failure: Error { let message: String }

    /// The largest source read (a manifest of 100,000 predictions is about 100 MiB).
    static let maxBytes = 1 << 30

    static func read(_ source: String) throws(Failure) -> RunReport {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory) else {
            throw Failure(message: "report: \(source) does not exist; give a folder made by --save or a file written by --log")
        }
        let url = URL(fileURLWithPath: source).standardizedFileURL
        if isDirectory.boolValue {
            let manifest = url.appendingPathComponent("manifest.jsonl").path
            guard FileManager.default.fileExists(atPath: manifest) else {
                throw Failure(message: "report: \(source) has no manifest.jsonl; give a folder made by --save (or a file written by --log)")
            }
            return try readLines(manifest, source: source, base: url.path, isLog: false)
        }
        return try readLines(url.path, source: source, base: url.deletingLastPathComponent().path, isLog: true)
    }

    private static func readLines(_ path: String, source: String, base: String, isLog: Bool) throws(Failure) -> RunReport {
        let data: Data
        do {
            let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
            guard size <= maxBytes else { throw Failure(message: "report: \(path) is larger than 1 GiB") }
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure(message: "report: cannot read \(path): \(error.localizedDescription)")
        }
        var report = RunReport(source: source, baseDirectory: base)
        var byID: [String: Int] = [:]
        let decoder = JSONDecoder()
        var number = 0
        for line in data.split(separator: 0x0A, omittingEmptySubsequences: false) {
            number += 1
            let trimmed = line.drop { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
            if trimmed.isEmpty { continue }
            func bad(_ why: String) -> Failure {
                Failure(message: "report: \(path) line \(number): \(why)")
            }
            guard let object = try? JSONSerialization.jsonObject(with: Data(trimmed)) as? [String: Any] else {
                throw bad("not a JSON object")
            }
            let kindText = object["kind"] as? String
            let kind = kindText.flatMap(RunLogKind.init(rawValue:)) ?? (isLog ? nil : .prediction)
            guard let kind else {
                throw bad(kindText.map { "unknown kind '\($0)' (a run log has run, call, wait, prediction and end lines)" }
                          ?? "no 'kind' (is this a run log written by --log? a --save folder is read by its folder name)")
            }
            do {
                switch kind {
                case .run:
                    let start = try decoder.decode(RunLogStart.self, from: Data(trimmed))
                    report.started = Timestamps.date(start.startedAt)
                    report.script = start.script
                case .end:
                    let end = try decoder.decode(RunLogEnd.self, from: Data(trimmed))
                    report.ended = Timestamps.date(end.endedAt)
                case .call:
                    report.calls.append(try call(object, bad))
                case .wait:
                    let wait = try decoder.decode(RunLogWait.self, from: Data(trimmed))
                    guard let at = Timestamps.date(wait.at) else { throw bad("'at' is not an ISO 8601 time: \(wait.at)") }
                    guard wait.seconds.isFinite, (0...86_400).contains(wait.seconds) else { throw bad("'seconds' must be 0 to 86400") }
                    report.waits.append(RunReport.Wait(at: at, line: wait))
                case .prediction:
                    let line = try decoder.decode(RunLogPrediction.self, from: Data(trimmed))
                    let prediction = try self.prediction(line, base: base, bad)
                    if let index = byID[prediction.id] {
                        report.predictions[index] = prediction  // a later line (a re-run that saved it again) wins
                    } else {
                        byID[prediction.id] = report.predictions.count
                        report.predictions.append(prediction)
                    }
                }
            } catch let failure as Failure {
                throw failure
            } catch let error as DecodingError {
                throw bad(describe(error))
            } catch {
                throw bad("\(error)")
            }
        }
        // In the order they were created (a log lists them as they were read back); stable.
        report.predictions = report.predictions.enumerated().sorted { a, b in
            let (x, y) = (a.element.created ?? .distantFuture, b.element.created ?? .distantFuture)
            return x != y ? x < y : a.offset < b.offset
        }.map(\.element)
        return report
    }

    private static func call(_ object: [String: Any], _ bad: (String) -> Failure) throws -> RunReport.Call {
        guard let function = object["function"] as? String else { throw bad("a call needs 'function'") }
        guard let endedText = object["ended_at"] as? String, let ended = Timestamps.date(endedText) else {
            throw bad("a call needs 'ended_at', an ISO 8601 time")
        }
        var started = ended
        if let text = object["started_at"] as? String {
            guard let date = Timestamps.date(text) else { throw bad("'started_at' is not an ISO 8601 time: \(text)") }
            started = min(date, ended)
        }
        var status: Int?
        if let number = object["status"] as? NSNumber {
            let value = number.doubleValue
            guard value.isFinite, (0...999).contains(value), value == value.rounded() else { throw bad("'status' must be an HTTP status") }
            status = Int(value)
        }
        return RunReport.Call(function: function, started: started, ended: ended, status: status,
                              predictionID: object["prediction_id"] as? String, error: object["error"] as? String)
    }

    private static func prediction(_ line: RunLogPrediction, base: String, _ bad: (String) -> Failure) throws -> RunReport.Prediction {
        guard !line.predictionID.isEmpty else { throw bad("'prediction_id' is empty") }
        func time(_ key: String, _ direct: String?) -> Date? {
            if let direct { return Timestamps.date(direct) }
            if case .string(let text)? = line.timings?.objectValue?[key] { return Timestamps.date(text) }
            return nil
        }
        var predictTime: Double?
        for source in [line.metrics, line.timings] {
            if predictTime == nil, let value = source?.objectValue?["predict_time"]?.doubleValue, value.isFinite, value >= 0 { predictTime = value }
        }
        var files: [SavedOutput] = []
        for output in line.outputs ?? [] {
            if let path = output.path {
                // The page links to saved files relatively: a path must stay inside the folder.
                let components = path.split(separator: "/", omittingEmptySubsequences: false)
                guard !path.isEmpty, !path.contains("\0"), !path.hasPrefix("/"), !components.contains(".."), !components.contains("") else {
                    throw bad("an output's 'path' must name a file inside the folder, relative to it (such as files/ab12….png), got '\(path)'")
                }
            }
            if let bytes = output.bytes, bytes < 0 { throw bad("an output's 'bytes' is negative") }
            files.append(output)
        }
        let error: String?
        switch line.error {
        case nil, .null?: error = nil
        case .string(let text)?: error = text
        case let other?: error = "\(other)"
        }
        return RunReport.Prediction(
            line: line, error: error, created: time("created_at", line.createdAt), started: time("started_at", line.startedAt),
            completed: time("completed_at", line.completedAt), predictTime: predictTime, files: files)
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, _): return "missing '\(key.stringValue)'"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "'\(path)': \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
