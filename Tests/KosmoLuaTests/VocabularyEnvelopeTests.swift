import AgentMode
import Foundation
import Replicate
import ReplicateLua
import Testing

@Suite("Typed vocabulary in envelopes and approval questions")
struct VocabularyEnvelopeTests {
    @Test("An envelope reads back and writes out the same kind, access and decision words")
    func envelopeRoundTrip() throws {
        let text = #"{"ok":false,"result":null,"result_truncated":false,"result_error":null,"output":"","output_truncated":false,"error":{"kind":"permission","message":"no","traceback":null},"calls":[{"function":"create_model","access":"write","decision":"denied","status":null,"ms":0.0,"prediction_id":null,"error":"permission"}],"stats":{"ms":1.0,"peak_memory_bytes":2,"instructions":3},"permission_bypassed":false}"#
        let envelope = try ExecEnvelope(parsing: Data(text.utf8))
        #expect(envelope.error?.kind == .permission)
        #expect(envelope.calls.first?.access == .write && envelope.calls.first?.decision == .denied && envelope.calls.first?.error == .permission)
        #expect(envelope.jsonText() == text)
    }

    @Test("A kind or call word this build does not know reads without losing the envelope or its calls")
    func unknownWords() throws {
        let text = #"{"ok":false,"error":{"kind":"quota","message":"m"},"calls":[{"function":"f","access":"admin","decision":"queued","ms":0,"error":"quota"}]}"#
        let envelope = try ExecEnvelope(parsing: Data(text.utf8))
        #expect(envelope.error?.kind == .runtime && envelope.error?.message == "m")
        #expect(envelope.calls.count == 1)
        #expect(envelope.calls.first?.access == .write && envelope.calls.first?.decision == .denied && envelope.calls.first?.error == .runtime)
    }

    @Test("An approval question carries a typed access; one naming another access is not a question")
    func approvalQuestions() {
        let question = ApprovalChannel.Question(function: "run", access: .write, arguments: "x=1")
        #expect(question.line.contains(#""access":"write""#))
        #expect(ApprovalChannel.Question(line: question.line) == question)
        #expect(ApprovalChannel.Question(line: #"{"function":"run","access":"admin","arguments":""}"#) == nil)
    }
}
