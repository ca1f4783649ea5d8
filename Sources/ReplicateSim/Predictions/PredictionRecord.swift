import Foundation
import NIOCore

/// One server-sent event kept on a prediction so streams can be replayed from `Last-Event-ID`.
struct SSEEvent: Sendable {
    var id: Int
    var event: String
    var data: String
}

/// A prediction or a training: the service gives both the same shape.
struct PredictionRecord: Sendable {
    var id: String
    var isTraining = false
    var model: String
    var version: String
    var kind: ToyKind
    var input: [String: JSON]
    var status = "starting"
    var logs = ""
    var output: JSON = .null
    var error: String? = nil
    var createdAt = Date()
    var startedAt: Date? = nil
    var completedAt: Date? = nil
    var stream: Bool? = nil
    var webhook: String? = nil
    var webhookEvents: Set<String> = ["start", "output", "logs", "completed"]
    var deployment: String? = nil
    var destination: String? = nil
    var deadline: Date? = nil
    var events: [SSEEvent] = []
    /// Whether its data was deleted (`SimulatorOptions.expireAfter`).
    var dataRemoved = false
    /// The JSON body, re-rendered on every change so `GET /predictions/{id}` only copies bytes.
    var encoded = ByteBuffer()

    var isTerminal: Bool { PredictionRecord.terminal.contains(status) }
    static let terminal: Set<String> = ["succeeded", "failed", "canceled", "aborted"]

    mutating func addEvent(_ event: String, _ data: String) {
        events.append(SSEEvent(id: events.count + 1, event: event, data: data))
    }

    func json(api: String) -> JSON {
        let collection = isTraining ? "trainings" : "predictions"
        var urls: [String: JSON] = [
            "get": .string("\(api)/\(collection)/\(id)"),
            "cancel": .string("\(api)/\(collection)/\(id)/cancel"),
            "web": .string("https://replicate.com/p/\(id)"),
        ]
        if !isTraining { urls["stream"] = .string("\(api)/streams/\(id)") }
        var metrics: [String: JSON] = [:]
        if let startedAt, let completedAt {
            metrics["predict_time"] = .double(round6(completedAt.timeIntervalSince(startedAt)))
        }
        if let completedAt { metrics["total_time"] = .double(round6(completedAt.timeIntervalSince(createdAt))) }
        if kind == .text, case .array(let tokens) = output {
            metrics["output_token_count"] = .int(tokens.count)
            metrics["input_token_count"] = .int((input["prompt"]?.string ?? "").split(separator: " ").count)
        }
        var o: [String: JSON] = [
            "id": .string(id), "model": .string(model), "version": .string(version),
            "input": .object(input), "logs": .string(logs), "output": output,
            "data_removed": .bool(dataRemoved), "error": .str(error), "status": .string(status),
            "created_at": .string(Timestamp.string(createdAt)),
            "started_at": startedAt.map { .string(Timestamp.string($0)) } ?? .null,
            "completed_at": completedAt.map { .string(Timestamp.string($0)) } ?? .null,
            "urls": .object(urls), "metrics": .object(metrics), "source": "api",
            "webhook": .str(webhook), "webhook_completed": .null,
        ]
        if webhook != nil { o["webhook_events_filter"] = .array(webhookEvents.sorted().map(JSON.string)) }
        if let stream { o["stream"] = .bool(stream) }
        if let deployment { o["deployment"] = .string(deployment) }
        if let deadline { o["deadline"] = .string(Timestamp.string(deadline)) }
        return .object(o)
    }

    private func round6(_ d: Double) -> Double { (max(d, 0) * 1_000_000).rounded() / 1_000_000 }
}
