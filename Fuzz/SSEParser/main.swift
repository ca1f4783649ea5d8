import CFuzzDriver
import Foundation
import Replicate

// libFuzzer target: any bytes as a `text/event-stream` body through `SSEParser`. Built and run
// by `make fuzz` (see Fuzz/README.md).
//
// Properties, for every input:
// - the events, the last event id and the reconnection delay are the same however the bytes
//   are cut into chunks (all at once, one byte at a time, and chunk sizes drawn from the input);
// - every event is well formed: a non-empty type, and no line break where none can be (the
//   type, the id, any data line), no NUL in an id;
// - after `finish()` (what a reconnection does) the same bytes give the same events again,
//   with the last id carried over to events before the first `id:` line.
// A broken property prints the input and the reason, then aborts, so libFuzzer saves the input.

/// What a parse produced, compared across chunkings.
private struct Outcome: Equatable {
    var events: [ServerSentEvent] = []
    var lastEventID: String?
    var reconnectionDelay: Int?
}

private func parse(_ input: UnsafeRawBufferPointer, chunkSizes: (Int) -> Int) -> Outcome {
    var parser = SSEParser()
    var outcome = Outcome()
    var start = 0, chunk = 0
    while start < input.count {
        let end = min(input.count, start + max(1, chunkSizes(chunk)))
        outcome.events += parser.feed(UnsafeRawBufferPointer(rebasing: input[start..<end]))
        start = end
        chunk += 1
    }
    outcome.lastEventID = parser.lastEventID
    outcome.reconnectionDelay = parser.reconnectionDelay
    return outcome
}

/// Chunk sizes from 1 to 64, drawn from a generator seeded with the input's FNV-1a hash, so a
/// saved input replays with the same cuts.
private func drawnSizes(for input: UnsafeRawBufferPointer) -> (Int) -> Int {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in input { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
    var state = hash
    return { _ in
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % 64) + 1
    }
}

private func malformed(_ event: ServerSentEvent) -> String? {
    let lineBreaks: Set<Character> = ["\n", "\r", "\r\n"]
    if event.event.isEmpty { return "an event with an empty type" }
    if event.event.contains(where: lineBreaks.contains) { return "a line break in the event type" }
    if event.data.unicodeScalars.contains("\r") { return "a carriage return in the data" }
    if let id = event.id {
        if id.unicodeScalars.contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\0" }) { return "a line break or NUL in the id" }
    }
    if let retry = event.retry, retry < 0 { return "a negative retry" }
    return nil
}

private func check(_ input: UnsafeRawBufferPointer) -> String? {
    let whole = parse(input) { _ in input.count }
    let bytewise = parse(input) { _ in 1 }
    if bytewise != whole { return "one byte at a time gives other events than all at once:\n\(bytewise)\n\(whole)" }
    let drawn = parse(input, chunkSizes: drawnSizes(for: input))
    if drawn != whole { return "chunks of drawn sizes give other events than all at once:\n\(drawn)\n\(whole)" }
    for event in whole.events {
        if let problem = malformed(event) { return "\(problem): \(event)" }
    }
    // A reconnection: the same parser, finished, then fed the same bytes again. The events are
    // the same, except that one dispatched before the stream's first `id:` line now carries the
    // id the first pass ended with (ids persist across a reconnection; a set id is never nil).
    var parser = SSEParser()
    let first = parser.feed(input)
    parser.finish()
    let carried = parser.lastEventID
    var expected = first
    for index in expected.indices where expected[index].id == nil { expected[index].id = carried }
    let second = parser.feed(input)
    if second != expected { return "after finish() the same bytes give other events:\n\(second)\nexpected:\n\(expected)" }
    return nil
}

/// Called by libFuzzer with each input.
private func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size)
    if let problem = check(input) {
        let shown = input.count <= 2000 ? String(decoding: input, as: UTF8.self).debugDescription : "(\(input.count) bytes)"
        FileHandle.standardError.write(Data("sse-parser: \(problem)\ninput: \(shown)\n".utf8))
        abort()
    }
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { testOneInput($0, $1) })
