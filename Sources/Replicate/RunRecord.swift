import Foundation

/// The fields a prediction and a training share. Both are one run of a model with the same
/// lifecycle, so each shared field is declared, decoded and encoded here, once; `Prediction`
/// and `Training` add only their own fields.
public struct RunFields: Sendable {
    public let id: String
    /// `owner/name` of the model.
    public let model: String?
    /// Version id (64 hex, or an opaque id for official models, or `hidden`).
    public let version: String?
    public let status: PredictionStatus
    public let input: JSONValue?
    /// Model output: any JSON; nil until there is some. A training's is `{version, weights}`
    /// on success.
    public let output: JSONValue?
    public let logs: String?
    /// The failure reason; usually a string.
    public let error: JSONValue?
    public let source: String?
    /// ISO 8601 timestamps, kept as sent (nanosecond precision varies); see
    /// `Prediction.createdDate`.
    public let createdAt: String?
    public let startedAt: String?
    public let completedAt: String?
    /// `predict_time`, `total_time` and any other metric.
    public let metrics: [String: JSONValue]?
    public let urls: PredictionURLs?
    public let webhook: String?
    public let webhookEventsFilter: [String]?
    public let webhookCompleted: JSONValue?

    /// Decodes the shared fields; errors name the reader's type (`Prediction.status`, …).
    init(_ r: FieldReader) throws {
        id = try r.string("id")
        model = try r.optString("model")
        version = try r.optString("version")
        status = PredictionStatus(rawValue: try r.string("status"))
        input = r.value("input")
        output = r.value("output")
        logs = try r.optString("logs")
        error = r.value("error")
        source = try r.optString("source")
        createdAt = try r.optString("created_at")
        startedAt = try r.optString("started_at")
        completedAt = try r.optString("completed_at")
        metrics = r.value("metrics")?.objectValue
        urls = try r.optObject("urls", as: PredictionURLs.self)
        webhook = try r.optString("webhook")
        webhookEventsFilter = try r.optStringArray("webhook_events_filter")
        webhookCompleted = r.value("webhook_completed")
    }

    /// Writes the shared fields over the object being encoded.
    func write(into w: inout FieldWriter) {
        w.set("id", id)
        w.set("model", model)
        w.set("version", version)
        w.set("status", status.rawValue)
        w.set("input", input)
        w.set("output", output)
        w.set("logs", logs)
        w.set("error", error)
        w.set("source", source)
        w.set("created_at", createdAt)
        w.set("started_at", startedAt)
        w.set("completed_at", completedAt)
        w.set("metrics", metrics.map(JSONValue.object))
        w.set("urls", urls)
        w.set("webhook", webhook)
        w.set("webhook_events_filter", webhookEventsFilter)
        w.set("webhook_completed", webhookCompleted)
    }
}

/// One run of a model, a `Prediction` or a `Training`: an object whose shared fields are a
/// `RunFields`. The accessors below let callers write `prediction.status` rather than
/// `prediction.runFields.status`; each reads the `RunFields` field of the same name.
public protocol RunRecord: ReplicateObject {
    /// The fields every run carries.
    var runFields: RunFields { get }
}

extension RunRecord {
    /// `RunFields.id`.
    public var id: String { runFields.id }
    /// `RunFields.model`.
    public var model: String? { runFields.model }
    /// `RunFields.version`.
    public var version: String? { runFields.version }
    /// `RunFields.status`.
    public var status: PredictionStatus { runFields.status }
    /// `RunFields.input`.
    public var input: JSONValue? { runFields.input }
    /// `RunFields.output`.
    public var output: JSONValue? { runFields.output }
    /// `RunFields.logs`.
    public var logs: String? { runFields.logs }
    /// `RunFields.error`.
    public var error: JSONValue? { runFields.error }
    /// `RunFields.source`.
    public var source: String? { runFields.source }
    /// `RunFields.createdAt`.
    public var createdAt: String? { runFields.createdAt }
    /// `RunFields.startedAt`.
    public var startedAt: String? { runFields.startedAt }
    /// `RunFields.completedAt`.
    public var completedAt: String? { runFields.completedAt }
    /// `RunFields.metrics`.
    public var metrics: [String: JSONValue]? { runFields.metrics }
    /// `RunFields.urls`.
    public var urls: PredictionURLs? { runFields.urls }
    /// `RunFields.webhook`.
    public var webhook: String? { runFields.webhook }
    /// `RunFields.webhookEventsFilter`.
    public var webhookEventsFilter: [String]? { runFields.webhookEventsFilter }
    /// `RunFields.webhookCompleted`.
    public var webhookCompleted: JSONValue? { runFields.webhookCompleted }
}
