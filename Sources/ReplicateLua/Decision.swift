/// How the permission policy decided a call, as the call log records it. The raw values are
/// the words the call log, `--trace` and the envelope's `calls` show.
public enum Decision: String, Sendable, CaseIterable {
    /// The policy allows it.
    case allowed
    /// The policy said ask, and the person (or the MCP client) said yes, now or earlier in the run.
    case approved
    /// `--force` bypassed the policy.
    case forced
    /// Refused before any request: by the policy, at the prompt, by the sandbox's file grants
    /// or download hosts, or by the spend guard.
    case denied
}
