import Foundation
import Testing
import TestSupport

@testable import Replicate

/// Fuzzing: the SSE parser against random streams cut into random chunks.
///
/// Each random stream is built together with the events the WHATWG algorithm (plus the parser's
/// one documented difference: an event with a type and no data is still dispatched) must give.
/// Properties: fed whole, the parser gives exactly those events and that last event id; fed in
/// any chunking (single bytes, cuts inside a CRLF or inside a UTF-8 sequence, empty chunks), it
/// gives the same. `make stress` raises `KOSMO_FUZZ_ITERATIONS`.
@Suite("Fuzz: SSE parser")
struct SSEFuzzTests {
    static var iterations: Int { ProcessInfo.processInfo.environment["KOSMO_FUZZ_ITERATIONS"].flatMap(Int.init) ?? 1500 }
    static var seed: UInt64 { ProcessInfo.processInfo.environment["KOSMO_FUZZ_SEED"].flatMap(UInt64.init) ?? 20261122 }

    typealias Rng = SeededGenerator

    /// A random stream and what parsing it must give.
    struct Stream {
        var bytes: [UInt8] = []
        var events: [ServerSentEvent] = []
        var lastEventID: String?
    }

    /// Text without CR or LF (a field value): ASCII, colons, spaces, multi-byte UTF-8.
    static func value(_ rng: inout Rng, max: Int = 12) -> String {
        var s = ""
        for _ in 0..<rng.int(0...max) {
            switch rng.int(0...7) {
            case 0: s += ":"
            case 1: s += " "
            case 2: s.unicodeScalars.append(Unicode.Scalar(UInt32(rng.int(0x80...0x7FF)))!)
            case 3: s.unicodeScalars.append(Unicode.Scalar(UInt32(rng.int(0x10000...0x10FFFF)))!)
            default: s.unicodeScalars.append(Unicode.Scalar(UInt8(rng.int(0x21...0x7E))))
            }
        }
        return s
    }

    static func stream(_ rng: inout Rng) -> Stream {
        var s = Stream()
        var text = ""
        // A line ending. After a bare CR, a bare LF would read as the second half of a CRLF and
        // swallow the line it ends, so it is not chosen there.
        var lastWasCR = false
        func newline(_ rng: inout Rng) -> String {
            let choice = lastWasCR ? ["\r", "\r\n"][rng.int(0...1)] : ["\n", "\r", "\r\n"][rng.int(0...2)]
            lastWasCR = choice == "\r"
            return choice
        }
        // One space after `field:` is dropped, so a value that starts with a space needs it.
        func separator(_ value: String, _ rng: inout Rng) -> String { value.utf8.first == 0x20 || rng.chance(0.5) ? " " : "" }
        if rng.chance(0.2) { s.bytes = [0xEF, 0xBB, 0xBF] }  // a BOM, skipped
        var idBuffer: String? = nil
        for _ in 0..<rng.int(0...8) {
            var type = "", data: [String] = [], sawData = false, retry: Int? = nil
            for _ in 0..<rng.int(0...6) {
                switch rng.int(0...9) {
                case 0: text += ":" + value(&rng) + newline(&rng)  // comment
                case 1:
                    type = value(&rng, max: 6)
                    text += "event:" + separator(type, &rng) + type + newline(&rng)
                case 2:
                    let id = value(&rng, max: 6)
                    idBuffer = id
                    text += "id:" + separator(id, &rng) + id + newline(&rng)
                case 3:
                    let ms = rng.int(0...30000)
                    retry = ms
                    text += "retry: \(ms)" + newline(&rng)
                case 4:
                    text += "retry: soon" + newline(&rng)  // not digits: ignored
                case 5:
                    text += "unknown: " + value(&rng) + newline(&rng)  // unknown field: ignored
                case 6:
                    // A field with no colon: the whole line is the name, the value empty.
                    text += "data" + newline(&rng)
                    data.append("")
                    sawData = true
                default:
                    // One space after the colon is dropped; a second one is kept.
                    let v = value(&rng)
                    let spaces = rng.int(0...2)
                    let raw = String(repeating: " ", count: spaces) + v
                    text += "data:" + raw + newline(&rng)
                    // Bytes, not Characters: " " and a combining mark are one Character.
                    data.append(raw.utf8.first == 0x20 ? String(decoding: raw.utf8.dropFirst(), as: UTF8.self) : raw)
                    sawData = true
                }
            }
            // The blank line: dispatch.
            text += newline(&rng)
            if sawData || !type.isEmpty {
                s.events.append(ServerSentEvent(id: idBuffer, event: type.isEmpty ? "message" : type, data: data.joined(separator: "\n"), retry: retry))
            }
            s.lastEventID = idBuffer
        }
        // Maybe an unfinished event at the end: never dispatched.
        if rng.chance(0.3) { text += "data: unfinished" + (rng.chance(0.5) ? "\n" : "") }
        s.bytes += Array(text.utf8)
        return s
    }

    /// `bytes` cut at random places, sometimes into single bytes, sometimes with empty chunks.
    static func chunks(_ bytes: [UInt8], _ rng: inout Rng) -> [[UInt8]] {
        if rng.chance(0.15) { return bytes.map { [$0] } }
        var out: [[UInt8]] = []
        var i = 0
        while i < bytes.count {
            if rng.chance(0.05) { out.append([]) }
            let n = rng.int(1...max(1, min(16, bytes.count - i)))
            out.append(Array(bytes[i..<(i + n)]))
            i += n
        }
        return out
    }

    @Test("Random streams in random chunks give the events the spec says, whatever the chunking")
    func chunkingDoesNotMatter() {
        var rng = Rng(seed: Self.seed)
        let started = Date()
        var events = 0, bytes = 0, chunkings = 0
        for iteration in 0..<Self.iterations {
            let stream = Self.stream(&rng)
            var whole = SSEParser()
            let expected = whole.feed(stream.bytes)
            bytes += stream.bytes.count
            events += expected.count
            #expect(expected == stream.events, "seed \(Self.seed), stream \(iteration): \(String(decoding: stream.bytes, as: UTF8.self).debugDescription)")
            #expect(whole.lastEventID == stream.lastEventID, "seed \(Self.seed), stream \(iteration)")
            guard expected == stream.events else { return }
            for _ in 0..<3 {
                var parser = SSEParser()
                var got: [ServerSentEvent] = []
                for chunk in Self.chunks(stream.bytes, &rng) { got += parser.feed(chunk) }
                chunkings += 1
                #expect(got == expected, "seed \(Self.seed), stream \(iteration): chunking changed the events")
                #expect(parser.lastEventID == whole.lastEventID)
                guard got == expected else { return }
            }
        }
        print("fuzz sse: \(Self.iterations) streams, \(bytes) bytes, \(events) events, \(chunkings) chunkings, seed \(Self.seed), \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
    }

    @Test("Found by the fuzzer: a combining mark right after the colon or the space")
    func combiningMarkAfterTheSeparator() {
        var parser = SSEParser()
        let events = parser.feed(Array("event: \u{301}x\ndata: \u{34E}y\ndata:\u{301}z\nid: \u{301}1\n:\u{301} comment\n\n".utf8))
        // One space after the colon is dropped even when the next scalar combines with it; a
        // colon followed by a combining mark still starts a comment.
        #expect(events == [ServerSentEvent(id: "\u{301}1", event: "\u{301}x", data: "\u{34E}y\n\u{301}z")])
    }

    @Test("Random bytes never trap the parser, and chunking still does not matter")
    func arbitraryBytes() {
        var rng = Rng(seed: Self.seed &+ 2)
        var total = 0
        for _ in 0..<Self.iterations {
            // Mostly the bytes that matter to the parser, plus invalid UTF-8.
            let alphabet: [UInt8] = Array("data:event:id:retry: \r\n\n:x".utf8) + [0xEF, 0xBB, 0xBF, 0xC3, 0xFF, 0x00]
            let bytes = (0..<rng.int(0...200)).map { _ in rng.chance(0.9) ? alphabet[rng.int(0...alphabet.count - 1)] : UInt8(rng.int(0...255)) }
            var whole = SSEParser()
            let expected = whole.feed(bytes)
            var parser = SSEParser()
            var got: [ServerSentEvent] = []
            for chunk in Self.chunks(bytes, &rng) { got += parser.feed(chunk) }
            #expect(got == expected)
            #expect(parser.lastEventID == whole.lastEventID)
            total += bytes.count
        }
        print("fuzz sse bytes: \(Self.iterations) random byte strings, \(total) bytes, seed \(Self.seed &+ 2)")
    }
}
