import Foundation
import Hummingbird

extension SimCore {
    /// Server-sent events at `urls.stream`: `output`, `logs`, `error` and `done`, each with an
    /// id; a reconnecting client's `Last-Event-ID` resumes after that event.
    func stream(request: Request, id: String) throws -> Response {
        guard state.prediction(id) != nil else { throw Problem.notFound() }
        let lastID = request.header("Last-Event-ID").flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } ?? 0
        let state = self.state, lifecycle = self.lifecycle
        let body = ResponseBody { writer in
            var sent = max(0, lastID)
            // Bounded: a stream never outlives ten minutes, even if the prediction does.
            let deadline = Date().addingTimeInterval(600)
            while Date() < deadline {
                lifecycle.checkDeadline(id)
                guard let r = state.prediction(id) else { break }
                // Event ids are 1-based positions in `events`.
                let fresh = sent < r.events.count ? Array(r.events[sent...]) : []
                if !fresh.isEmpty {
                    var text = ""
                    for e in fresh { text += SSE.format(e) }
                    try await writer.write(ByteBuffer(string: text))
                    sent = r.events.count
                }
                if fresh.contains(where: { $0.event == "done" }) || (r.isTerminal && fresh.isEmpty && r.events.contains(where: { $0.event == "done" })) {
                    break
                }
                try await Task.sleep(nanoseconds: 10_000_000)
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
            body: body)
    }
}

enum SSE {
    static func format(_ e: SSEEvent) -> String {
        var s = "event: \(e.event)\nid: \(e.id)\n"
        // Multi-line data is one `data:` line per line, as the SSE spec requires.
        for line in e.data.split(separator: "\n", omittingEmptySubsequences: false) { s += "data: \(line)\n" }
        return s + "\n"
    }
}
