import Foundation
import KosmoCore

/// The path an open file descriptor names, for an open Lua file given as a model's file input.
enum OpenFilePath {
    /// The regular file on disk that `descriptor` is open on, read from `/proc/self/fd` (Linux);
    /// a pipe, a terminal, a socket or a file deleted since it was opened is refused by name.
    static func of(descriptor: Int32) throws(JSONError) -> String {
        guard descriptor >= 0 else { throw JSONError(.openFileUnusable("is closed")) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw JSONError(.openFileUnusable("cannot be read (\(String(cString: strerror(errno))))")) }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw JSONError(.openFileUnusable("is not a file on disk (a pipe, a terminal or a socket)"))
        }
        guard let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(descriptor)"),
              path.hasPrefix("/") else {
            throw JSONError(.openFileUnusable("has no path this system can tell"))
        }
        // The link still reads after the file is removed, with " (deleted)" added: the path
        // must name this very file now (same device and inode), or the bytes sent would differ.
        var named = stat()
        guard stat(path, &named) == 0, named.st_dev == info.st_dev, named.st_ino == info.st_ino else {
            throw JSONError(.openFileUnusable("was deleted or moved since it was opened"))
        }
        return path
    }
}
