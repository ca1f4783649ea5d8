import Crypto
import Foundation
import KosmoCore

/// The digest a journal matches a create's input by: sha256 of its canonical JSON.
///
/// Canonical: object keys sorted (what `JSONValue.encoded()` writes), and a whole-valued number
/// written as an integer whichever way it arrived, so `2.0` sent by a script and `2` read back
/// from the service (whose JSON coder may write either) give the same digest.
public enum InputDigest {
    /// The hex sha256 of `input`'s canonical JSON; nil for a value with no JSON form (NaN).
    public static func of(_ input: JSONValue) -> String? {
        guard let bytes = try? canonical(input).encodedBytes() else { return nil }
        return SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    /// The hex sha256 of raw bytes (a script's text).
    public static func of(bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    static func canonical(_ value: JSONValue) -> JSONValue {
        switch value {
        case .double(let d):
            // Only within ±2^53, where every whole double is exactly an Int64 (the bound is
            // checked before the conversion, which would trap outside Int64's range).
            if d.isFinite, d == d.rounded(), abs(d) <= 9_007_199_254_740_992 { return .int(Int64(d)) }
            return value
        case .array(let items): return .array(items.map(canonical))
        case .object(let members): return .object(members.mapValues(canonical))
        default: return value
        }
    }
}
