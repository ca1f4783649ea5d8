import AsyncHTTPClient
import Foundation
import NIOCore
import Testing
@testable import ReplicateSim

struct ParsedEvent: Equatable {
    var event: String
    var id: Int
    var data: String
}

/// Reads a whole SSE stream (bounded by the simulator ending it at `done`).
func readStream(_ url: String, lastEventID: Int? = nil) async throws -> [ParsedEvent] {
    var req = HTTPClientRequest(url: url)
    req.headers.add(name: "accept", value: "text/event-stream")
    if let lastEventID { req.headers.add(name: "last-event-id", value: String(lastEventID)) }
    let res = try await HTTPClient.shared.execute(req, timeout: .seconds(30))
    #expect(res.status.code == 200)
    #expect(res.headers.first(name: "content-type") == "text/event-stream")
    var text = ""
    for try await chunk in res.body { text += String(buffer: chunk) }
    return text.components(separatedBy: "\n\n").compactMap { block -> ParsedEvent? in
        var e = ParsedEvent(event: "message", id: 0, data: "")
        var data: [String] = []
        for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("event: ") { e.event = String(line.dropFirst(7)) }
            if line.hasPrefix("id: ") { e.id = Int(line.dropFirst(4)) ?? 0 }
            if line.hasPrefix("data: ") { data.append(String(line.dropFirst(6))) }
        }
        e.data = data.joined(separator: "\n")
        return block.isEmpty ? nil : e
    }
}

@Suite("server-sent events")
struct SSETests {
    @Test func streamsTokensThenDoneAndResumesFromLastEventID() async throws {
        try await withSim { (sim) async throws in
            let r = try await sim.call(
                "POST", "/v1/models/meta/meta-llama-3-8b-instruct/predictions",
                json: ["input": ["prompt": "tell me about llamas", "max_tokens": 12], "stream": true])
            let url = try #require(r["urls"]?["stream"]?.string)
            let events = try await readStream(url)
            let outputs = events.filter { $0.event == "output" }
            #expect(outputs.count == 12)
            #expect(events.last?.event == "done")
            #expect(events.contains { $0.event == "logs" })
            #expect(events.map(\.id) == Array(1...events.count))
            let done = try await sim.waitTerminal(try #require(r["urls"]?["get"]?.string))
            #expect(outputs.map(\.data).joined() == done["output"]?.array?.compactMap(\.string).joined())

            // Reconnect after event 5: only events 6... arrive, identical to the first read.
            let resumed = try await readStream(url, lastEventID: 5)
            #expect(resumed == Array(events.dropFirst(5)))
        }
    }

    @Test func failedPredictionStreamsErrorThenDone() async throws {
        try await withSim { (sim) async throws in
            let r = try await sim.call("POST", "/v1/models/sim/fail/predictions", json: ["input": ["message": "nope"]])
            let events = try await readStream(try #require(r["urls"]?["stream"]?.string))
            let error = try #require(events.first { $0.event == "error" })
            #expect(JSON.parse(Data(error.data.utf8))?["detail"] == "nope")
            #expect(events.last?.event == "done")
        }
    }

    @Test func unknownStreamIs404() async throws {
        try await withSim { (sim) async throws in
            #expect(try await sim.call("GET", "/v1/streams/nope", token: nil).status == 404)
        }
    }
}
