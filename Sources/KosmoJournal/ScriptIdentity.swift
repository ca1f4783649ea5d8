import Foundation

/// Which script a journal belongs to: its name (for messages) and the sha256 of its text.
/// A journal answers only the script whose text it was written by; a moved script keeps its
/// journal (the name is not compared), an edited one does not.
public struct ScriptIdentity: Sendable, Equatable {
    /// The script's path, or `(command line)` / `stdin` / `exec` for code given otherwise.
    public var name: String
    /// The hex sha256 of the script's text.
    public var digest: String

    public init(name: String, digest: String) {
        self.name = name
        self.digest = digest
    }

    /// The identity of the script file at `path`, read now.
    public static func file(_ path: String) throws(JournalError) -> ScriptIdentity {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw JournalError("cannot read the script \(path) to tell which script the journal belongs to")
        }
        return ScriptIdentity(name: path, digest: InputDigest.of(bytes: [UInt8](data)))
    }

    /// The identity of code given as text (`-e`, standard input, an `exec` snippet).
    public static func text(_ name: String, _ text: String) -> ScriptIdentity {
        ScriptIdentity(name: name, digest: InputDigest.of(bytes: Array(text.utf8)))
    }
}

/// A journal that cannot be opened, read or used for this run; `message` says why and how to
/// go on.
public struct JournalError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The script a run runs, as the host knows it; read for its identity only when a journal is
/// used, so a run without one never reads or hashes anything.
public enum ScriptSource: Sendable, Equatable {
    /// A script file.
    case file(String)
    /// Code given as text: `-e` chunks, standard input, an `exec` snippet.
    case text(name: String, text: String)

    public func identity() throws(JournalError) -> ScriptIdentity {
        switch self {
        case .file(let path): return try ScriptIdentity.file(path)
        case .text(let name, let text): return ScriptIdentity.text(name, text)
        }
    }
}
