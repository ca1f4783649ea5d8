import Foundation
import Replicate

/// What a report shows of one run, read from a `--save` folder's manifest or a `--log` file
/// (`RunReportReader`): the calls on a timeline, the waits on rate limits, the predictions.
struct RunReport: Sendable {
    /// Where the source was read from (named in the page's heading).
    var source: String
    /// The folder the source's relative file paths start from.
    var baseDirectory: String
    var script: String?
    var started: Date?
    var ended: Date?
    var calls: [Call] = []
    var waits: [Wait] = []
    var predictions: [Prediction] = []

    /// One `replicate.*` call: a bar on the timeline.
    struct Call: Sendable {
        var function: String
        var started: Date
        var ended: Date
        var status: Int?
        var predictionID: String?
        /// The error kind of a failed call (`http`, `model`, `permission`, …).
        var error: String?
        var failed: Bool { error != nil }
    }

    /// The client waited `seconds` before repeating `request`, refused with `status`: the run
    /// log's `wait` line, with its time read.
    struct Wait: Sendable {
        var at: Date
        var line: RunLogWait
        var seconds: Double { line.seconds }
        var request: String { line.request }
        var status: Int { line.status }
    }

    /// One prediction: its run-log (or manifest) line, with its times read and its error as text.
    struct Prediction: Sendable {
        var line: RunLogPrediction
        var id: String { line.predictionID }
        var model: String? { line.model }
        var version: String? { line.version }
        var status: String? { line.status }
        var input: JSONValue? { line.input }
        var output: JSONValue? { line.output }
        var error: String?
        var created, started, completed: Date?
        /// Seconds the model ran (`metrics.predict_time`), when known.
        var predictTime: Double?
        var files: [SavedOutput] = []
        var failed: Bool { status == "failed" || status == "canceled" || error != nil }
    }

    /// The first and last moments the report shows.
    var span: (start: Date, end: Date)? {
        var times: [Date] = []
        for call in calls { times += [call.started, call.ended] }
        for wait in waits { times += [wait.at, wait.at.addingTimeInterval(wait.seconds)] }
        if calls.isEmpty {
            for prediction in predictions { times += [prediction.created, prediction.started, prediction.completed].compactMap { $0 } }
        }
        guard let first = times.min(), let last = times.max() else { return nil }
        return (first, max(last, first.addingTimeInterval(0.001)))
    }
}
