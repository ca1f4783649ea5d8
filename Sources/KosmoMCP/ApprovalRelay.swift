import AgentMode
import Foundation
import MCP
import ReplicateLua

/// The server's side of `ask`: a question from a child becomes an MCP elicitation when the
/// client declared that capability; otherwise the call is denied, and the child's message names
/// the flag that would allow it. "Always" answers are remembered for the whole MCP session.
final class ApprovalRelay: @unchecked Sendable {
    private let lock = NSLock()
    private var server: Server?
    private var clientElicits = false
    private var alwaysFunctions: Set<String> = []
    private var allWrites = false

    /// The choices offered, in order; the answer maps back by position.
    static let choices = ["allow once", "deny", "always allow this function", "allow all writes"]

    /// Called once the client has said what it supports.
    func connect(server: Server, clientSupportsElicitation: Bool) {
        lock.withLock {
            self.server = server
            clientElicits = clientSupportsElicitation
        }
    }

    /// Asks from a plain thread (a child's socket reader), waiting for the answer.
    func askBlocking(_ question: ApprovalChannel.Question) -> ApprovalAnswer {
        let semaphore = DispatchSemaphore(value: 0)
        let box = AnswerBox()
        Task.detached {
            box.answer = await self.ask(question)
            semaphore.signal()
        }
        semaphore.wait()
        return box.answer
    }

    func ask(_ question: ApprovalChannel.Question) async -> ApprovalAnswer {
        let (server, elicits) = lock.withLock { (self.server, clientElicits) }
        if remembers(question) { return .yes }
        guard let server, elicits else {
            return .unavailable("the MCP client does not support elicitation, so no one can be asked")
        }
        let form = Self.form(for: question)
        let result: CreateElicitation.Result
        do {
            result = try await server.requestElicitation(message: form.message, requestedSchema: form.schema)
        } catch {
            return .unavailable("the MCP client could not ask (\(error))")
        }
        return answer(accepted: result.action == .accept, choice: result.content?["answer"]?.stringValue, to: question)
    }

    /// Whether an "always" answer given earlier in the session covers `question`.
    func remembers(_ question: ApprovalChannel.Question) -> Bool {
        lock.withLock { alwaysFunctions.contains(question.function) || (question.access == .write && allWrites) }
    }

    /// The elicitation form that asks a person about `question`: the message (the terminal
    /// prompt's wording) and a schema with one `answer` among `choices`. What the child sent is
    /// shown escaped, as the terminal prompt shows it (its access is one of two words already).
    static func form(for question: ApprovalChannel.Question) -> (message: String, schema: Elicitation.RequestSchema) {
        let function = PromptText.escaped(question.function), access = question.access.rawValue
        let schema = Elicitation.RequestSchema(
            title: "Allow a Replicate \(access)?",
            description: "A Lua script wants to call replicate.\(function).",
            properties: [
                "answer": .object([
                    "type": .string("string"),
                    "title": .string("Allow replicate.\(function)?"),
                    "enum": .array(Self.choices.map { .string($0) }),
                ]),
            ],
            required: ["answer"])
        return (PromptText.question(function: question.function, access: question.access, arguments: question.arguments), schema)
    }

    /// What the person's reply means for `question`; an "always" reply is remembered for the
    /// session. Anything but an accepted form with a known choice is a no.
    func answer(accepted: Bool, choice: String?, to question: ApprovalChannel.Question) -> ApprovalAnswer {
        guard accepted, let choice, let index = Self.choices.firstIndex(of: choice) else { return .no }
        switch index {
        case 0: return .yes
        case 2:
            lock.withLock { _ = alwaysFunctions.insert(question.function) }
            return .alwaysThisFunction
        case 3:
            lock.withLock {
                if question.access == .write { allWrites = true } else { alwaysFunctions.insert(question.function) }
            }
            return .allWrites
        default: return .no
        }
    }
}

private final class AnswerBox: @unchecked Sendable {
    var answer: ApprovalAnswer = .no
}
