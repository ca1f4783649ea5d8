import Foundation
import Replicate
import ReplicateLua

extension ExecEnvelope {
    /// This envelope as JSON text of at most about `maxBytes`, still a valid envelope: as
    /// itself when it fits; otherwise with its result dropped, its output and call list cut to
    /// what room is left, and a `limit` error saying what was dropped and why. The MCP server
    /// returns envelopes through this, since a client holds a tool result in memory whole.
    public func fitted(maxBytes: Int, text: String? = nil) -> (envelope: ExecEnvelope, json: String) {
        let json = text ?? jsonText()
        let size = json.utf8.count
        guard size > maxBytes else { return (self, json) }
        var fitted = self
        fitted.ok = false
        fitted.result = .null
        // The output may have half the room, the calls a quarter; the error is capped anyway.
        if output.utf8.count > maxBytes / 2 {
            fitted.output = Self.capped(output, maxBytes: maxBytes / 2, what: "outputs in an oversize envelope")
            fitted.outputTruncated = true
        }
        var room = maxBytes / 4
        var kept: [CallRecord] = []
        for call in calls {
            let length = Self.callText(call).utf8.count + 1
            if length > room { break }
            room -= length
            kept.append(call)
        }
        fitted.calls = kept
        var message = "the envelope was \(size) bytes, more than the \(maxBytes >> 20) MiB a tool result may hold, so its result was dropped"
        if fitted.outputTruncated && !outputTruncated { message += ", its output cut" }
        if kept.count < calls.count { message += ", and only the first \(kept.count) of its \(calls.count) calls are listed" }
        message += "; return less (a summary, a count, file URLs) or split the work across calls"
        if let error {
            message += ". The run itself failed first (\(error.kind.rawValue)): \(error.message)"
        }
        fitted.error = Failure(kind: .limit, message: message)
        return (fitted, fitted.jsonText())
    }
}
