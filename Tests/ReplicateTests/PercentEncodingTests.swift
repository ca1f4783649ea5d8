import Foundation
import Testing

@testable import Replicate

/// The request builder's byte-table percent-encoding gives what Foundation's
/// `addingPercentEncoding` gives with the same allowed sets, for random strings.
@Suite("Percent-encoding of path segments and query values")
struct PercentEncodingTests {
    @Test func sameAsFoundation() {
        var pathSet = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)...Unicode.Scalar(127)))
        pathSet.insert(charactersIn: "-._~:@!$&'()*+,;=")
        var querySet = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)...Unicode.Scalar(127)))
        querySet.insert(charactersIn: "-._~")
        var rng = SSEFuzzTests.Rng(seed: 7)
        var samples = ["", "meta", "meta-llama-3-8b-instruct", "a b/c?d#e%f&g=h+i", "é😀", "5c7d:x@y", "\u{0}\u{7F}"]
        for _ in 0..<2000 {
            var s = ""
            for _ in 0..<rng.int(0...20) {
                s.unicodeScalars.append(rng.chance(0.7) ? Unicode.Scalar(UInt8(rng.int(0...127))) : Unicode.Scalar(UInt32(rng.int(0x80...0xD7FF)))!)
            }
            samples.append(s)
        }
        for s in samples {
            #expect(RequestBuilder.encodePathSegment(s) == s.addingPercentEncoding(withAllowedCharacters: pathSet), "\(s.debugDescription)")
            #expect(RequestBuilder.encodeQuery(s) == s.addingPercentEncoding(withAllowedCharacters: querySet), "\(s.debugDescription)")
        }
    }
}
