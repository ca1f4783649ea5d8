import Foundation

/// Where a create stands in its script: the call site (`chunk:line` of the Lua code that called
/// it) and its ordinal among the creates made from that site (1, 2, …), in the order the script
/// made them. The same script over the same inputs makes the same positions.
public struct CreatePosition: Sendable, Hashable, CustomStringConvertible {
    public var site: String
    public var ordinal: Int

    public init(site: String, ordinal: Int) {
        self.site = site
        self.ordinal = ordinal
    }

    public var description: String { "\(site) #\(ordinal)" }
}

/// A create's state in the journal: `sent` (written before the request left, no answer yet),
/// then the state of its prediction or training as last seen.
public enum JournalState: String, Sendable, CaseIterable {
    case sent, starting, processing, succeeded, failed, canceled, aborted

    /// The journal's word for a status the API reported; a word this build does not know reads
    /// as `processing` (not finished, so a rerun looks at it again).
    public init(apiStatus: String) {
        self = JournalState(rawValue: apiStatus).flatMap { $0 == .sent ? nil : $0 } ?? .processing
    }

    /// Whether the prediction or training has finished and will not change.
    public var isTerminal: Bool { self == .succeeded || self == .failed || self == .canceled || self == .aborted }
}

/// What was created: a prediction or a training.
public enum CreatedKind: String, Sendable {
    case prediction, training
}

/// One create as the journal holds it.
public struct JournalEntry: Sendable, Equatable {
    public var position: CreatePosition
    /// The sha256 of the input's canonical JSON (`InputDigest`).
    public var digest: String
    /// What the script called (`run`, `create_prediction`, …).
    public var function: String
    /// The API operation (`create_model_prediction`, …).
    public var operation: String
    /// The model (`owner/name`), deployment (`deployment:owner/name`) or version it runs; a
    /// rerun must name the same one at this position.
    public var target: String
    /// The version id the create named, when it named one.
    public var version: String?
    public var kind: CreatedKind
    /// When the request was sent (seconds since 1970).
    public var sentAt: Double
    /// The prediction's or training's id, once the answer arrived.
    public var runID: String?
    public var state: JournalState
    /// The prediction or training as last seen (JSON text), once it was seen.
    public var latest: String?

    public init(position: CreatePosition, digest: String, function: String, operation: String, target: String, version: String?,
                kind: CreatedKind, sentAt: Double, runID: String? = nil, state: JournalState = .sent, latest: String? = nil) {
        self.position = position
        self.digest = digest
        self.function = function
        self.operation = operation
        self.target = target
        self.version = version
        self.kind = kind
        self.sentAt = sentAt
        self.runID = runID
        self.state = state
        self.latest = latest
    }
}
