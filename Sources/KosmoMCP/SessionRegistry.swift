import Foundation

/// The open sessions of one MCP server: at most `maxSessions` at once, each ended once it goes
/// `idleSeconds` without a call, on `end_session`, or when its process dies. An id that is not
/// open gets an error saying what became of it (when the server remembers) and how to open one.
final class SessionRegistry: @unchecked Sendable {
    let maxSessions: Int
    let idleSeconds: Double
    private let lock = NSLock()
    private var open: [String: SessionChild] = [:]
    /// Why recently ended sessions ended, for a clearer error (the latest `remembered`).
    private var endedReasons: [String: String] = [:]
    private var endedOrder: [String] = []
    static let remembered = 100

    init(maxSessions: Int, idleSeconds: Double) {
        self.maxSessions = maxSessions
        self.idleSeconds = idleSeconds
    }

    /// Why a session cannot be used.
    struct Problem: Error, Sendable {
        let message: String
    }

    /// A new session id: random, so one client cannot guess another's.
    static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        return "s-" + (0..<4).map { _ in String(format: "%04x", UInt16.random(in: .min ... .max, using: &generator)) }.joined()
    }

    /// Opens a session with `start` unless `maxSessions` are open.
    func open(_ start: (String) -> Result<SessionChild, SpawnFailure>) throws(Problem) -> SessionChild {
        let id = Self.newID()
        lock.lock()
        sweepEnded()
        let full = open.count >= maxSessions
        lock.unlock()
        guard !full else {
            throw Problem(message: "\(maxSessions) sessions are open, the most this server allows (--max-sessions \(maxSessions)); end one with end_session, reuse one, or run without a session")
        }
        let session: SessionChild
        switch start(id) {
        case .success(let started): session = started
        case .failure(let problem): throw Problem(message: problem.message)
        }
        // Checked again: another open may have taken the last place while this child started.
        let admitted = lock.withLock { () -> Bool in
            guard open.count < maxSessions else { return false }
            open[id] = session
            return true
        }
        guard admitted else {
            session.end("the server already had \(maxSessions) sessions open")
            throw Problem(message: "\(maxSessions) sessions are open, the most this server allows (--max-sessions \(maxSessions)); end one with end_session, or reuse one")
        }
        return session
    }

    /// The open session `id`, or an error saying it is not open and how to open one.
    func session(_ id: String) throws(Problem) -> SessionChild {
        lock.lock()
        defer { lock.unlock() }
        sweepEnded()
        if let session = open[id] { return session }
        throw Problem(message: unknownMessage(id))
    }

    /// Ends session `id`; an error when it is not open.
    func end(_ id: String, reason: String = "end_session ended it") throws(Problem) {
        lock.lock()
        sweepEnded()
        guard let session = open.removeValue(forKey: id) else {
            let message = unknownMessage(id)
            lock.unlock()
            throw Problem(message: message)
        }
        remember(id, reason)
        lock.unlock()
        session.end(reason)
    }

    /// Called after each call in `session`: it stays open for another `idleSeconds`.
    func touch(_ session: SessionChild) {
        let id = session.id, seconds = idleSeconds
        session.scheduleIdle(after: seconds) { [weak self] in
            guard let self, !session.isBusy else { return }
            try? self.end(id, reason: "it went \(ChildExecution.seconds(seconds)) without a call")
        }
    }

    /// How many sessions are open.
    var count: Int { lock.withLock { sweepEnded(); return open.count } }

    /// Ends every session (the server is stopping).
    func endAll() {
        let all = lock.withLock { () -> [SessionChild] in
            let all = Array(open.values)
            open.removeAll()
            return all
        }
        for session in all { session.end("the server stopped") }
    }

    /// Forgets sessions whose process ended by itself (the watchdog, a crash). Lock held.
    private func sweepEnded() {
        for (id, session) in open {
            guard let reason = session.ended else { continue }
            open[id] = nil
            remember(id, reason)
        }
    }

    /// Lock held.
    private func remember(_ id: String, _ reason: String) {
        endedReasons[id] = reason
        endedOrder.append(id)
        if endedOrder.count > Self.remembered { endedReasons[endedOrder.removeFirst()] = nil }
    }

    /// Lock held.
    private func unknownMessage(_ id: String) -> String {
        let shown = id.count > 40 ? String(id.prefix(40)) + "…" : id
        if let reason = endedReasons[id] { return SessionChild.endedMessage(shown, reason) }
        return "no session '\(shown)' is open (sessions end after \(ChildExecution.seconds(idleSeconds)) without a call, on end_session, and when the server stops): pass session = \"new\" to open one"
    }
}
