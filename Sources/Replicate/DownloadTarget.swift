import Foundation

/// Where a download may land, checked before anything is fetched: a regular file, or no file
/// yet, in an existing directory, with every symbolic link and `.`/`..` resolved the way the
/// kernel resolves them. Never a directory, a FIFO, a device or a socket.
///
/// Every download goes through this check (`ReplicateClient.download`, the signed
/// `Files.download`, and `replicate.download`, which also holds the result against the
/// sandbox's `--allow-write` grants), and the file is then written only at `path`: the bytes go
/// to a temporary file created exclusively in `directory`, which is renamed over `path` when
/// the whole body arrived. So a download never removes or replaces a directory, never writes
/// through a link, and an existing file is replaced atomically or not at all.
public struct DownloadTarget: Sendable, Equatable {
    /// The file's absolute path, free of symbolic links, `.` and `..`.
    public let path: String
    /// The directory holding `path` (where the temporary file is made too).
    public let directory: String
    /// The file's name in `directory`.
    public let name: String
    /// The permission bits of the file being replaced; nil when there is none yet.
    public let existingMode: mode_t?

    /// Checks `requested` (absolute, or relative to the working directory); the error is a
    /// validation error that names the path and what to write instead.
    public init(checking requested: String, operation: String = "download") throws(ReplicateError) {
        func refuse(_ why: String) -> ReplicateError {
            ReplicateError.validation("cannot download to '\(requested)': \(why)", operation: operation)
        }
        let example = (requested.hasSuffix("/") ? requested : requested + "/") + "out.png"
        let isDirectory = refuse("it is a directory; name a file inside it, e.g. '\(example)'")
        guard !requested.isEmpty else {
            throw ReplicateError.validation("the destination path is empty; name a file, e.g. 'out.png'", operation: operation)
        }
        guard !requested.utf8.contains(0) else { throw refuse("the path contains a NUL byte") }
        // A trailing slash, `.` or `..` name a directory whatever exists there.
        let components = requested.split(separator: "/", omittingEmptySubsequences: false)
        let name = String(components.last ?? "")
        guard !name.isEmpty, name != ".", name != ".." else { throw isDirectory }
        let parent = components.count == 1 ? "." : (components.dropLast().joined(separator: "/").isEmpty ? "/" : components.dropLast().joined(separator: "/"))

        guard let directory = Self.realPath(parent) else {
            throw refuse(errno == ENOTDIR ? "'\(parent)' is not a directory" : "directory \(parent) does not exist")
        }
        var info = stat()
        guard stat(directory, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else { throw refuse("'\(parent)' is not a directory") }
        var candidate = directory == "/" ? "/" + name : directory + "/" + name

        guard lstat(candidate, &info) == 0 else {
            guard errno == ENOENT else { throw refuse(String(cString: strerror(errno))) }
            self.init(path: candidate, existingMode: nil)
            return
        }
        if info.st_mode & S_IFMT == S_IFLNK {
            // Written through the link: its target gets the same checks (and, in the sandbox,
            // the same grants) as if it had been named.
            guard let resolved = Self.realPath(candidate), stat(resolved, &info) == 0 else {
                throw refuse("it is a symbolic link to '\(Self.linkText(candidate))', which does not exist; remove the link or name another file")
            }
            candidate = resolved
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: self.init(path: candidate, existingMode: info.st_mode & 0o777)
        case S_IFDIR: throw isDirectory
        case S_IFIFO: throw refuse("it is a FIFO, not a regular file; name a file to write")
        case S_IFCHR, S_IFBLK: throw refuse("it is a device, not a regular file; name a file to write")
        case S_IFSOCK: throw refuse("it is a socket, not a regular file; name a file to write")
        default: throw refuse("it is not a regular file; name a file to write")
        }
    }

    private init(path: String, existingMode: mode_t?) {
        self.path = path
        // `path` is absolute: there is always a slash.
        let slash = path.lastIndex(of: "/") ?? path.startIndex
        self.directory = slash == path.startIndex ? "/" : String(path[..<slash])
        self.name = String(path[path.index(after: slash)...])
        self.existingMode = existingMode
    }

    /// `realpath(3)`: nil (with `errno` set) when `path` or a link on the way does not exist.
    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// What a symbolic link says, for messages.
    private static func linkText(_ path: String) -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink(path, &buffer, buffer.count - 1)
        guard n > 0 else { return "?" }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
