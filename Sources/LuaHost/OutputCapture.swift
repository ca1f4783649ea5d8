import Foundation

/// Where `print` output goes when the host owns it (the sandbox): optionally straight to
/// standard output, optionally kept for an envelope, always within the output limit.
public final class OutputCapture {
    /// Output kept so far (when `keep` is on).
    public private(set) var bytes: [UInt8] = []
    /// Bytes written in all, kept or not.
    public private(set) var total = 0
    /// True once output past the limit was dropped.
    public private(set) var truncated = false
    public var limit: Int?
    let keep: Bool
    let passthrough: Bool

    /// - Parameters:
    ///   - keep: keep output in `bytes` (for `exec --json`).
    ///   - passthrough: write output to standard output as it comes.
    public init(keep: Bool = false, passthrough: Bool = true, limit: Int? = nil) {
        self.keep = keep
        self.passthrough = passthrough
        self.limit = limit
    }

    /// Appends `data`, honouring the limit. Returns false when something was dropped.
    @discardableResult
    public func write(_ data: [UInt8]) -> Bool {
        var slice = data[...]
        if let limit {
            let room = max(0, limit - total)
            if slice.count > room {
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

    /// The kept output as text (invalid UTF-8 repaired).
    public var text: String { String(decoding: bytes, as: UTF8.self) }
}
