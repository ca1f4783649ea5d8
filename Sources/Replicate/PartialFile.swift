import Crypto
import Foundation
import NIOCore

/// The temporary file of one download: created exclusively (`O_CREAT | O_EXCL | O_NOFOLLOW`) in
/// the target's own directory, so it is inside whatever grant the target is, and nothing that
/// was there already is opened. `commit` renames it over the target, which `rename(2)` does
/// atomically (a reader sees the old file or the new one, never a mix, and a directory is never
/// replaced: renaming a file over one fails). `discard` removes it; so does `deinit`, so a
/// failed, cancelled or refused download leaves no temporary file behind.
///
/// The directory is opened once (`O_DIRECTORY | O_NOFOLLOW`) and the temporary file is made,
/// renamed and removed relative to it, so all three happen in the directory that was checked
/// even if a path on the way to it is swapped for a link meanwhile.
final class PartialFile: @unchecked Sendable {
    // The descriptors are used by one download task at a time; the lock guards them against a
    // `discard` from `deinit` racing a late write.
    private let lock = NSLock()
    private var directory: Int32
    private var fd: Int32 = -1
    /// Whether `name` still names the temporary file (false once renamed or removed).
    private var linked = false
    private let operation: String
    /// The temporary file's name in the target's directory.
    let name = ".kosmo-download-\(UUID().uuidString).part"
    let target: DownloadTarget
    /// Bytes written so far.
    private(set) var size = 0
    /// The SHA-256 of the bytes written so far, kept as they arrive so the file is never read back.
    private var hasher = SHA256()

    init(for target: DownloadTarget, operation: String) throws(ReplicateError) {
        self.target = target
        self.operation = operation
        directory = open(target.directory, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard directory >= 0 else {
            throw ReplicateError.validation("cannot write in \(target.directory): \(String(cString: strerror(errno)))", operation: operation)
        }
        fd = openat(directory, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o666)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            close(directory)
            directory = -1
            throw ReplicateError.validation("cannot write in \(target.directory): \(reason)", operation: operation)
        }
        linked = true
    }

    deinit { discard() }

    /// Appends `buffer`.
    func append(_ buffer: ByteBuffer) throws(ReplicateError) {
        let failure: Int32? = lock.withLock {
            guard fd >= 0 else { return EBADF }
            return buffer.withUnsafeReadableBytes { bytes -> Int32? in
                var done = 0
                while done < bytes.count {
                    guard let base = bytes.baseAddress else { return nil }
                    let n = pwrite(fd, base + done, bytes.count - done, off_t(size + done))
                    if n < 0, errno == EINTR { continue }
                    if n <= 0 { return n < 0 ? errno : ENOSPC }
                    done += n
                }
                size += done
                hasher.update(bufferPointer: bytes)
                return nil
            }
        }
        if let failure { throw writeError(String(cString: strerror(failure))) }
    }

    /// Empties the file for another attempt.
    func reset() throws(ReplicateError) {
        let failure = lock.withLock { () -> Int32? in
            size = 0
            hasher = SHA256()
            return fd >= 0 && ftruncate(fd, 0) == 0 ? nil : (fd >= 0 ? errno : EBADF)
        }
        if let failure { throw writeError(String(cString: strerror(failure))) }
    }

    /// Flushes the file and renames it over the target. Replacing a file keeps its permission bits.
    func commit() throws(ReplicateError) {
        let failure = lock.withLock { () -> String? in
            guard fd >= 0, linked else { return "the temporary file was already removed" }
            if let mode = target.existingMode, fchmod(fd, mode) != 0 { return String(cString: strerror(errno)) }
            guard fsync(fd) == 0 else { return String(cString: strerror(errno)) }
            guard renameat(directory, name, directory, target.name) == 0 else { return String(cString: strerror(errno)) }
            linked = false
            return nil
        }
        discard()
        if let failure { throw writeError(failure) }
    }

    /// The hex SHA-256 of everything written (since the last `reset`).
    var sha256: String {
        lock.withLock { hasher }.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// Closes the file and removes it (nothing to remove once committed).
    func discard() {
        lock.withLock {
            if fd >= 0 { close(fd) }
            fd = -1
            if linked, directory >= 0 { unlinkat(directory, name, 0) }
            linked = false
            if directory >= 0 { close(directory) }
            directory = -1
        }
    }

    private func writeError(_ reason: String) -> ReplicateError {
        ReplicateError.validation("cannot write \(target.path): \(reason)", operation: operation)
    }
}
