import LuaHost

/// Where a `replicate` table gets its session: one made up front, or one made by the first
/// call that needs it. Making a session resolves settings — the environment, the config file,
/// the flags, the simulator for `--sim` — which costs more than the rest of `kosmo-lua`'s
/// start-up together; a script that never calls the API should not pay for it.
///
/// Used on the VM thread only (host functions read it before their async work starts).
public final class SessionSource: @unchecked Sendable {
    /// Whether the sandbox's limits apply (known before the session is made).
    public let sandboxed: Bool
    private enum State {
        case pending(() throws -> ReplicateSession)
        case made(Result<ReplicateSession, any Error>)
    }
    private var state: State

    /// A session that already exists.
    public init(_ session: ReplicateSession) {
        sandboxed = session.sandboxed
        state = .made(.success(session))
    }

    /// A session `make` creates on first use. A failure (a bad config file or environment
    /// variable; its message says which) is kept and raised by every later call too, as a
    /// `validation` error.
    public init(sandboxed: Bool, _ make: @escaping () throws -> ReplicateSession) {
        self.sandboxed = sandboxed
        state = .pending(make)
    }

    /// The session, made now if it was not yet; `function` names the caller in the error.
    func get(for function: String) throws -> ReplicateSession {
        let result: Result<ReplicateSession, any Error>
        switch state {
        case .made(let made): result = made
        case .pending(let make):
            result = Result { try make() }
            state = .made(result)
        }
        do {
            return try result.get()
        } catch {
            throw LuaErrors.validation(function: function, message: "the replicate settings are invalid: \(error)")
        }
    }

    /// The session if it was made (closing a stream needs none otherwise).
    public var ifMade: ReplicateSession? {
        if case .made(.success(let session)) = state { return session }
        return nil
    }
}
