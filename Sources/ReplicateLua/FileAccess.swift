import Foundation
import LuaHost
import Replicate

/// The sandbox's file grants (`--allow-read DIR`, `--allow-write DIR`): the one check every
/// local file a `replicate` function reads or writes goes through.
extension ReplicateSession {
    /// Checks a local path against the sandbox's grants (`--allow-read` / `--allow-write`). A
    /// path to write is checked as `checkWriteTarget` does.
    func checkFileAccess(_ path: String, write: Bool, function: String) throws -> String {
        if write { return try checkWriteTarget(path, function: function).path }
        let absolute = URL(fileURLWithPath: path).standardizedFileURL
        guard sandboxed else { return absolute.path }
        // Resolve links in the directory part, so `granted/link -> /etc` does not escape.
        let resolved = absolute.deletingLastPathComponent().resolvingSymlinksInPath().appendingPathComponent(absolute.lastPathComponent).path
        let target = URL(fileURLWithPath: resolved).resolvingSymlinksInPath().path
        if Self.isWithin(target, settings.allowRead, orEqual: true) { return target }
        throw fileDenied(path, write: false, function: function)
    }

    /// Where a download to `path` may write: a file (never a directory, a FIFO or a device; see
    /// `DownloadTarget`) and, in the sandbox, one strictly inside an `--allow-write` grant after
    /// every link is resolved — so the temporary file, made in the target's own directory, is
    /// inside the grant too. The one check for every file a `replicate` function writes.
    func checkWriteTarget(_ path: String, function: String) throws -> DownloadTarget {
        if sandboxed {
            // Before looking at the file itself, so a script cannot probe what exists outside
            // its grants: the directory part with its links resolved must be granted.
            let absolute = URL(fileURLWithPath: path).standardizedFileURL
            let lexical = absolute.deletingLastPathComponent().resolvingSymlinksInPath().appendingPathComponent(absolute.lastPathComponent).path
            guard Self.isWithin(lexical, settings.allowWrite, orEqual: true) else { throw fileDenied(path, write: true, function: function) }
        }
        let target: DownloadTarget
        do {
            target = try DownloadTarget(checking: path, operation: function)
        } catch {
            throw LuaErrors.from(error, function: function).raise
        }
        guard !sandboxed || Self.isWithin(target.path, settings.allowWrite, orEqual: false) else {
            throw fileDenied(path, write: true, function: function)
        }
        return target
    }

    /// Whether `path` is inside one of `grants` (or is one, when `orEqual`).
    private static func isWithin(_ path: String, _ grants: [String], orEqual: Bool) -> Bool {
        grants.contains { (orEqual && path == $0) || path.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }
    }

    private func fileDenied(_ path: String, write: Bool, function: String) -> LuaRaise {
        let verb = write ? "writing" : "reading"
        return LuaErrors.permission(function: function, access: write ? .write : .read,
            message: "replicate.\(function): \(verb) \(path) is not allowed in the sandbox; " + settings.audience.remedy(.file(write: write)))
    }
}
