/// How a run of Lua code failed, classified for the CLI and for `exec --json` envelopes.
public struct RunError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// An error raised by the script (or by Lua on its behalf).
        case runtime
        /// The chunk did not compile.
        case syntax
        /// A memory, instruction, time or output limit ended the run.
        case limit
        /// Ctrl-C.
        case interrupted
        /// A host function raised a table with its own `kind` (e.g. `permission`, `http`).
        case host
    }

    public var kind: Kind
    /// One line (or the message as Lua formatted it).
    public var message: String
    /// `stack traceback:` and its frames, when Lua could produce one.
    public var traceback: String?
    /// The error value when it was a table, as JSON (e.g. a `replicate.*` error table).
    public var errorObject: [UInt8]?
    /// For `.host`: the kind the host raised the error table with, as the word it recorded
    /// (`RaisedErrors.swift`). This module knows nothing of Replicate; `ErrorKind(_:)` in
    /// ReplicateLua reads the word into the shared vocabulary.
    public var hostKind: String?

    public init(kind: Kind, message: String, traceback: String? = nil, errorObject: [UInt8]? = nil, hostKind: String? = nil) {
        self.kind = kind
        self.message = message
        self.traceback = traceback
        self.errorObject = errorObject
        self.hostKind = hostKind
    }

    /// `message` followed by the traceback, as `lua5.4` prints an uncaught error.
    public var description: String {
        guard let traceback, !traceback.isEmpty else { return message }
        return message + "\n" + traceback
    }
}
