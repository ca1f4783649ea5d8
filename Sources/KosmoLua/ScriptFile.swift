import Foundation

/// A script read from a file, as `kosmo-lua FILE` and `exec FILE` read it: whole, with an error
/// in the system's words (not Foundation's) when it cannot be.
enum ScriptFile {
    /// The file's bytes, or the sentence saying why they cannot be read.
    static func read(_ path: String) -> Result<[UInt8], ReadFailure> {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            return .failure(ReadFailure(message: "cannot read \(path): it is a directory, not a script"))
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            let reason = String(cString: strerror(errno))
            // `kosmo-lua help run` runs a script named help, as `lua help` would: say where help is.
            let hint = path == "help" ? " (for a function's help: kosmo-lua docs NAME; for the commands: kosmo-lua --help)" : ""
            return .failure(ReadFailure(message: "cannot open \(path): \(reason)" + hint))
        }
        defer { try? handle.close() }
        do {
            return .success(Array(try handle.readToEnd() ?? Data()))
        } catch {
            return .failure(ReadFailure(message: "cannot read \(path) (\(error.localizedDescription))"))
        }
    }

    struct ReadFailure: Error { let message: String }
}
