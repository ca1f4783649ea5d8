import Crypto
import Foundation

/// The SHA-256 of what is on disk, read a mebibyte at a time (so memory stays bounded whatever
/// the file's size): how a saved output is verified before it counts as saved.
public enum FileDigest {
    /// The hex SHA-256 and size of the regular file at `path`; nil when it cannot be read.
    public static func sha256(ofFileAt path: String) -> (sha256: String, bytes: Int)? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        var hasher = SHA256()
        var bytes = 0
        while true {
            let chunk: Data?
            do { chunk = try handle.read(upToCount: 1 << 20) } catch { return nil }
            // nil or empty: the end of the file.
            guard let chunk, !chunk.isEmpty else { break }
            hasher.update(data: chunk)
            bytes += chunk.count
        }
        return (hasher.finalize().map { String(format: "%02x", $0) }.joined(), bytes)
    }
}
