import Foundation
import NIOCore

/// The temporary file of one download: created exclusively (`O_CREAT | O_EXCL | O_NOFOLLOW`) in
/// the target's own directory, so it is inside whatever grant the target is, and nothing that
/// was there already is opened. `commit` renames it over the target, which `rename(2)` does
/// atomically (a reader sees the old file or the new one, never a mix, and a directory is never
/// replaced: renaming a file over one fails). `discard` removes it; so does `deinit`, so a
/// failed, cancelled or refused download leaves no temporary file behind.
final class PartialFile: @unchecked Sendable {
    // The descriptor is used by one download task at a time; the lock only guards `open` /
    // `fd` against a `discard` from `deinit` racing a late write.
    private let lock = NSLock()
    private var fd: Int32
    /// Whether `path` still names the temporary file (false once renamed or removed).
    private var linked = true
    private let operation: String
    let path: String
    let target: DownloadTarget
    /// Bytes written so far.
    private(set) var size = 0

    init(for target: DownloadTarget, operation: String) throws(ReplicateError) {
        self.target = target
        self.operation = operation
        path = (target.directory == "/" ? "" : target.directory) + "/.kosmo-download-\(UUID().uuidString).part"
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o666)
        guard fd >= 0 else {
            linked = false  // nothing was created; `deinit` must not remove what may be there
            throw ReplicateError.validation("cannot write in \(target.directory): \(String(cString: strerror(errno)))", operation: operation)
        }
    }

    deinit { discard() }

    /// Appends `buffer`.
    func append(_ buffer: ByteBuffer) throws(ReplicateError) {
        let failure: Int32? = lock.withLock {
            buffer.withUnsafeReadableBytes { bytes -> Int32? in
                var done = 0
                while done < bytes.count {
                    guard let base = bytes.baseAddress else { return nil }
                    let n = pwrite(fd, base + done, bytes.count - done, off_t(size + done))
                    if n < 0, errno == EINTR { continue }
                    if n <= 0 { return n < 0 ? errno : ENOSPC }
                    done += n
                }
                size += done
                return nil
            }
        }
        if let failure { throw writeError(failure) }
    }

    /// Empties the file for another attempt.
    func reset() throws(ReplicateError) {
        let failed = lock.withLock { () -> Int32? in
            size = 0
            return ftruncate(fd, 0) == 0 ? nil : errno
        }
        if let failed { throw writeError(failed) }
    }

    /// Flushes the file and renames it over the target. Replacing a file keeps its permission bits.
    func commit() throws(ReplicateError) {
        let failed = lock.withLock { () -> String? in
            guard fd >= 0 else { return "the temporary file was already removed" }
            if let mode = target.existingMode, fchmod(fd, mode) != 0 { return String(cString: strerror(errno)) }
            guard fsync(fd) == 0 else { return String(cString: strerror(errno)) }
            close(fd)
            fd = -1
            guard rename(path, target.path) == 0 else { return String(cString: strerror(errno)) }
            linked = false
            return nil
        }
        if let failed {
            discard()
            throw ReplicateError.validation("cannot write \(target.path): \(failed)", operation: operation)
        }
    }

    /// Closes and removes the temporary file (nothing when it was committed).
    func discard() {
        lock.withLock {
            if fd >= 0 { close(fd) }
            fd = -1
            if linked { unlink(path) }
            linked = false
        }
    }

    private func writeError(_ code: Int32) -> ReplicateError {
        ReplicateError.validation("cannot write \(target.path): \(String(cString: strerror(code)))", operation: operation)
    }
}
