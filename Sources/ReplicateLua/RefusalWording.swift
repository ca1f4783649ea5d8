import Replicate

/// Who reads a refusal, and so how it says what would allow the call.
public enum RefusalAudience: String, Sendable {
    /// A person at a command line: a refusal names the flag that allows the call.
    case person
    /// An agent (`exec --json`, the MCP server's executions): it cannot pass flags, so a refusal
    /// tells it to ask the person it works for, and not to try again on its own.
    case agent
}

/// Why a call was refused, as far as the wording of its remedy goes.
public enum Refusal: Sendable {
    /// The policy denies `function` (`own`: by name; else its whole access).
    case policy(function: String, access: Access, own: Bool)
    /// The person answered no.
    case declined(function: String, access: Access)
    /// The call needs approval and no one can be asked.
    case noOneToAsk(function: String, access: Access)
    /// The run made its `max` predictions and trainings.
    case predictionLimit(max: Int)
    /// The run's predictions used their `max` seconds of predict time.
    case predictTimeLimit(max: Double)
    /// The sandbox may not read or write `path`.
    case file(write: Bool)
    /// The sandbox does not download from `host`.
    case downloadHost(String)
}

extension RefusalAudience {
    /// The remedy `refusal` ends with: the one place refusals are worded for their reader.
    public func remedy(_ refusal: Refusal) -> String {
        switch (self, refusal) {
        case (.person, .policy(let function, let access, _)), (.person, .declined(let function, let access)), (.person, .noOneToAsk(let function, let access)):
            return "to allow it: --allow \(function), --\(access.rawValue) allow or --force"
        // To an agent the settings that would allow a call are named as what its person can
        // do, never as something for the agent to pass.
        case (.agent, .policy(let function, let access, let own)):
            return (own ? "the person running this session does not allow \(function)" : "the person running this session does not allow \(access.rawValue)s")
                + "; do not try again, and ask them if you need it (they can allow it with --allow \(function) or --\(access.rawValue) allow)"
        case (.agent, .declined(_, let access)):
            return "the person declined this \(access.rawValue); ask them before trying again"
        case (.agent, .noOneToAsk(let function, let access)):
            return "this \(access.rawValue) needs the person's approval and no one could be asked; ask them before trying again (they can allow it with --allow \(function) or --\(access.rawValue) allow)"
        case (.person, .predictionLimit(let max)):
            return "--max-predictions \(max)"
        case (.agent, .predictionLimit(let max)):
            // The setting is named as a fact about the session, not as something to pass.
            return "set by the person running this session: --max-predictions \(max); create fewer in one run, or ask them for a higher limit"
        case (.person, .predictTimeLimit(let max)):
            return "--max-predict-seconds \(BoundedNumber.text(of: max))"
        case (.agent, .predictTimeLimit(let max)):
            return "set by the person running this session: --max-predict-seconds \(BoundedNumber.text(of: max)); do not try again in this run, and ask them for a higher limit if you need one"
        case (.person, .file(let write)):
            return "grant its directory with \(write ? "--allow-write" : "--allow-read") DIR"
        case (.agent, .file(let write)):
            return "the person running this session has not granted its directory (\(write ? "--allow-write" : "--allow-read")); ask them to if you need it, and do not try other paths"
        case (.person, .downloadHost(let host)):
            return "to allow it: --allow-download-host \(host)"
        case (.agent, .downloadHost(let host)):
            return "the person running this session has not allowed downloads from \(host) (--allow-download-host \(host)); ask them to if you need it"
        }
    }
}
