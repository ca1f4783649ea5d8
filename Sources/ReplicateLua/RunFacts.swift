import Replicate

/// What a call learned about the prediction or training it created or read, taken from the API's
/// object in one place (the log stage): its id, its status, the model it runs, and what it used
/// (`metrics.predict_time`, and the hardware when the API names it).
public struct RunFacts: Sendable, Equatable {
    public var id: String
    /// `starting`, `processing`, `succeeded`, `failed`, `canceled`, as the API said last.
    public var status: String?
    /// The model, `owner/name` (or the version, when that is all the object names).
    public var model: String?
    /// Seconds of CPU or GPU time it used; the API reports it once it has ended.
    public var predictTime: Double?
    /// The hardware it ran on (an SKU such as `gpu-a40-large`), when the API reports one.
    public var hardware: String?

    public init(id: String, status: String? = nil, model: String? = nil, predictTime: Double? = nil, hardware: String? = nil) {
        self.id = id
        self.status = status
        self.model = model
        self.predictTime = predictTime
        self.hardware = hardware
    }

    /// Most seconds taken as a predict time: a year. A figure outside 0...this (or not finite)
    /// is not believed, so a malformed answer cannot make the totals or the budget nonsense.
    static let maxPredictTime = 31_536_000.0

    /// The facts in a prediction or training object; nil when `json` is not one (no `id`).
    public init?(_ json: JSONValue?) {
        guard let json, let id = json["id"]?.stringValue, !id.isEmpty else { return nil }
        self.id = id
        status = json["status"]?.stringValue
        model = json["model"]?.stringValue ?? json["version"]?.stringValue
        if let seconds = json["metrics"]?["predict_time"]?.doubleValue, seconds.isFinite, seconds >= 0, seconds <= Self.maxPredictTime {
            predictTime = seconds
        }
        hardware = json["hardware"]?.stringValue
    }

    /// Whether its status is one it will not leave (`succeeded`, `failed`, `canceled`).
    public var hasEnded: Bool {
        status.map { PredictionStatus(rawValue: $0).isTerminal } ?? false
    }

    /// These facts with what `later` adds (a later answer about the same run wins).
    func merged(with later: RunFacts) -> RunFacts {
        RunFacts(id: id, status: later.status ?? status, model: later.model ?? model,
                 predictTime: later.predictTime ?? predictTime, hardware: later.hardware ?? hardware)
    }
}
