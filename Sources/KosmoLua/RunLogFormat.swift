import Foundation
import Replicate
import ReplicateLua

/// The lines of a run log (`--log FILE`), one JSON object per line, each with a `kind`:
///
/// - `run`: first, when the run starts: `started_at`, `kosmo_lua` (version), `commit`, `script`.
/// - `call`: one `replicate.*` call as it finishes: the fields of the `exec` envelope's `calls`
///   entries (`function`, `access`, `decision`, `status`, `ms`, `prediction_id`, `error`) plus
///   `started_at` and `ended_at`. A reader of call records ignores the extra keys.
/// - `wait`: the client waited before repeating a refused request (429, 503): `at`, `request`
///   (method and path), `status`, `seconds`.
/// - `prediction`: as the run ends, one per prediction the run's calls named, read back from
///   the API: `prediction_id`, `model`, `version`, `status`, `input`, `output`, `error`,
///   `created_at`, `started_at`, `completed_at`, `metrics`, and `outputs` — the output files
///   kept beside the log, in the shape of a `--save` manifest's (`url`, `path` relative to the
///   log's folder, `sha256`, `bytes`).
/// - `end`: last: `ended_at`, `exit_status`.
enum RunLogKind: String, Codable, Sendable {
    case run, call, wait, prediction, end
}

/// One output file kept on disk: a `--save` manifest's and a run log's `outputs` entries.
struct SavedOutput: Codable, Sendable, Equatable {
    var url: String?
    /// Relative to the folder of the manifest or log that names it.
    var path: String?
    var sha256: String?
    var bytes: Int?
}

/// A `run` line.
struct RunLogStart: Codable, Sendable {
    var kind = RunLogKind.run
    var startedAt: String
    var kosmoLua: String
    var commit: String
    var script: String?

    enum CodingKeys: String, CodingKey {
        case kind, script, commit
        case startedAt = "started_at"
        case kosmoLua = "kosmo_lua"
    }
}

/// A `wait` line: at `at` the client waited `seconds` before repeating `request`, which was
/// refused with `status`.
struct RunLogWait: Codable, Sendable {
    var kind = RunLogKind.wait
    var at, request: String
    var status: Int
    var seconds: Double
}

/// A `prediction` line (also read from a `--save` manifest, whose lines carry no `kind`).
struct RunLogPrediction: Codable, Sendable {
    var kind: RunLogKind? = .prediction
    var predictionID: String
    var model: String?
    var version: String?
    var status: String?
    var input: JSONValue?
    var output: JSONValue?
    var error: JSONValue?
    var createdAt: String?
    var startedAt: String?
    var completedAt: String?
    var metrics: JSONValue?
    var outputs: [SavedOutput]?
    /// A manifest's `timings` (`created_at`, `started_at`, `completed_at`, `predict_time`, …).
    var timings: JSONValue?

    enum CodingKeys: String, CodingKey {
        case kind, model, version, status, input, output, error, metrics, outputs, timings
        case predictionID = "prediction_id"
        case createdAt = "created_at"
        case startedAt = "started_at"
        case completedAt = "completed_at"
    }
}

/// An `end` line.
struct RunLogEnd: Codable, Sendable {
    var kind = RunLogKind.end
    var endedAt: String
    var exitStatus: Int32

    enum CodingKeys: String, CodingKey {
        case kind
        case endedAt = "ended_at"
        case exitStatus = "exit_status"
    }
}

/// A `call` line: the call record's own keys, then `kind`, `started_at` and `ended_at`.
struct RunLogCall: Encodable, Sendable {
    let call: TimedCall

    enum CodingKeys: String, CodingKey {
        case kind
        case startedAt = "started_at"
        case endedAt = "ended_at"
    }

    func encode(to encoder: any Encoder) throws {
        try call.record.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(RunLogKind.call, forKey: .kind)
        try c.encode(Timestamps.text(call.started), forKey: .startedAt)
        try c.encode(Timestamps.text(call.ended), forKey: .endedAt)
    }
}
