import Foundation
import Replicate

/// A call the policy says to ask about.
public struct ApprovalRequest: Sendable, Equatable {
    /// The function the script called (`create_prediction`, or a helper such as `run`).
    public let function: String
    public let access: Access
    /// The key arguments on one line (`model_owner="replicate" input={text="hi"}`).
    public let arguments: String

    public init(function: String, access: Access, arguments: String) {
        self.function = function
        self.access = access
        self.arguments = arguments
    }
}

/// What the person (or MCP client) answered.
public enum ApprovalAnswer: Sendable, Equatable {
    case yes
    case no
    /// Yes, and do not ask again for this function in this run.
    case alwaysThisFunction
    /// Yes, and do not ask again for any write in this run.
    case allWrites
    /// Nobody can be asked; the reason says why (no terminal…).
    case unavailable(String)
}

/// Script-controlled text as the approving person sees it: every character that could move the
/// cursor, redraw the prompt or disguise what is asked shows as a visible escape instead. The
/// one function every prompt (the terminal's, an MCP elicitation's) uses for what it shows.
public enum PromptText {
    /// `text` with C0 and C1 controls and DEL as `\n`, `\r`, `\t` or `\xNN`; Unicode that
    /// reorders or hides text (bidirectional controls, zero-width and other invisible
    /// characters, line and paragraph separators) and the replacement character (what bytes
    /// that were not UTF-8 became on their way into a string) as `\u{NNNN}`; and a backslash as
    /// `\\`, so an escape can always be told from the text.
    public static func escaped(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x5C: out += "\\\\"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x00...0x1F, 0x7F...0x9F: out += "\\x" + hex(scalar.value, digits: 2)
            case 0x00AD, 0x061C, 0x180E, 0x200B...0x200F, 0x2028...0x202E, 0x2060...0x206F, 0xFEFF, 0xFFF9...0xFFFD, 0xE0000...0xE007F:
                out += "\\u{" + hex(scalar.value, digits: 4) + "}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// The question for one call; `arguments` is an `ArgumentSummary` line, escaped already.
    public static func question(function: String, access: Access, arguments: String) -> String {
        "kosmo-lua: allow \(access.rawValue) call replicate.\(escaped(function))(\(arguments))?"
    }

    private static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}

/// Who answers `ask`: a terminal prompt, an MCP elicitation, or nobody.
public protocol Approver: Sendable {
    /// Asks about one call. Called on the VM thread; it may block while someone answers.
    func approve(_ request: ApprovalRequest) -> ApprovalAnswer
}

/// Nobody to ask: every `ask` is denied with a message naming the flag that would allow it.
public struct NoApprover: Approver {
    let reason: String
    public init(reason: String = "there is no terminal to ask on") { self.reason = reason }
    public func approve(_ request: ApprovalRequest) -> ApprovalAnswer { .unavailable(reason) }
}
