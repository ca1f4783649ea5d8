import Foundation

/// Where `print` output goes when the host owns it (the sandbox): optionally straight to
/// standard output, optionally kept for an envelope, always within the output limit.
///
/// Kept output past the limit keeps its head and its tail, half the limit each, with a marker
/// between saying how much was cut: the end of a log (the error, the summary) is usually what
/// matters. A limit under `headAndTailMinimum` is too small to split and keeps the head only,
/// as output passed through does (what was written cannot be taken back).
public final class OutputCapture {
    /// Output kept so far (when `keep` is on): the head only, once output passed the limit.
    public private(set) var bytes: [UInt8] = []
    /// Bytes kept or passed through, at most the limit.
    public private(set) var total = 0
    /// Bytes written in all, kept or not.
    public private(set) var written = 0
    /// True once output past the limit was dropped.
    public private(set) var truncated = false
    public var limit: Int?
    let keep: Bool
    let passthrough: Bool
    /// The latest output past the head (kept output with a limit of at least
    /// `headAndTailMinimum`), trimmed from the front as it grows.
    private var tail: [UInt8] = []

    /// The smallest limit whose output keeps its tail too: 1 KiB.
    public static let headAndTailMinimum = 1024

    /// - Parameters:
    ///   - keep: keep output in `bytes` (for `exec --json`).
    ///   - passthrough: write output to standard output as it comes.
    public init(keep: Bool = false, passthrough: Bool = true, limit: Int? = nil) {
        self.keep = keep
        self.passthrough = passthrough
        self.limit = limit
    }

    /// Forgets the output so far and sets a new limit: a session's child keeps one VM, and
    /// with it one capture, across snippets whose output is each their own.
    public func reset(limit: Int?) {
        bytes.removeAll(keepingCapacity: true)
        tail.removeAll()
        total = 0
        written = 0
        truncated = false
        self.limit = limit
    }

    /// Bytes of the tail kept: nil when only the head is.
    var tailBytes: Int? {
        guard keep, !passthrough, let limit, limit >= Self.headAndTailMinimum else { return nil }
        return limit / 2
    }

    /// Appends `data`, honouring the limit. Returns false when something was dropped.
    @discardableResult
    public func write(_ data: [UInt8]) -> Bool {
        written += data.count
        var slice = data[...]
        if let limit {
            let headRoom = limit - (tailBytes ?? 0)
            let room = max(0, headRoom - total)
            if slice.count > room {
                if let tailBytes {
                    tail.append(contentsOf: slice.dropFirst(room))
                    // Trimmed in steps, so a long run of small prints costs linear time.
                    if tail.count > 2 * tailBytes { tail.removeFirst(tail.count - tailBytes) }
                }
                slice = slice.prefix(room)
                truncated = true
            }
        }
        total += slice.count
        if keep { bytes.append(contentsOf: slice) }
        if passthrough, !slice.isEmpty {
            slice.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let n = Foundation.write(1, raw.baseAddress! + offset, raw.count - offset)
                    if n <= 0 { break }
                    offset += n
                }
            }
        }
        return !truncated
    }

    /// The kept output as text (invalid UTF-8 repaired): the head, and when output passed the
    /// limit, a marker and the tail, each cut between characters.
    public var text: String {
        guard let tailBytes, !tail.isEmpty else { return String(decoding: bytes, as: UTF8.self) }
        var kept = tail.suffix(tailBytes)
        // Start the tail on a character, not inside one.
        while let first = kept.first, first & 0xC0 == 0x80 { kept = kept.dropFirst() }
        var head = bytes[...]
        // End the head after a whole character.
        if let lead = head.lastIndex(where: { $0 & 0xC0 != 0x80 }) {
            let byte = head[lead]
            let width = byte < 0x80 ? 1 : byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
            if head.endIndex - lead < width { head = head[..<lead] }
        }
        let cut = written - head.count - kept.count
        let marker = "\n… [\(cut) bytes of output cut here: the output limit (\(limit ?? 0) bytes) keeps its head and its tail] …\n"
        return String(decoding: head, as: UTF8.self) + marker + String(decoding: kept, as: UTF8.self)
    }
}
