import AgentMode
import Foundation
import MCP

/// Turns one tool call's progress events (`ProgressChannel`, from its child) into the
/// client's `notifications/progress` for the request's progress token: how many predictions
/// started and finished, the latest status, the percentage the logs show, the latest log line.
/// At most one notification per `interval`; what happens in between is folded into the next
/// one, and `finish` sends what is still pending before the tool's result goes out. While a
/// call waits with nothing new to say (a run held in sync mode reports no status until it
/// ends), one goes out every `heartbeat` with how long it has waited, so the client sees it is
/// alive.
final class ProgressForwarder: @unchecked Sendable {
    /// Seconds between notifications, at least: four a second.
    static let interval = 0.25
    /// Seconds without news after which a waiting call is reported again.
    static let heartbeat = 1.0

    private struct Call {
        let label: String
        let started = DispatchTime.now()
        var status = "starting"
        var percent: Int?
        var log: String?
    }

    private let token: ProgressToken
    private let send: @Sendable (ProgressNotification.Parameters) -> Void
    /// Everything below is touched on this queue only.
    private let queue = DispatchQueue(label: "kosmo-lua.mcp.progress")
    private var calls: [Int: Call] = [:]
    private var order: [Int] = []
    private var started = 0
    private var finished = 0
    private var sent = 0
    private var lastSent: DispatchTime?
    private var pending = false
    private var flushScheduled = false
    private var latest: String?
    private var done = false
    private var ticker: DispatchSourceTimer?

    /// - Parameter send: delivers one notification (blocking until it is written, so they go
    ///   out in order).
    init(token: ProgressToken, send: @escaping @Sendable (ProgressNotification.Parameters) -> Void) {
        self.token = token
        self.send = send
    }

    /// A forwarder that notifies through `server`.
    static func notifying(_ server: Server, token: ProgressToken) -> ProgressForwarder {
        ProgressForwarder(token: token) { parameters in
            let semaphore = DispatchSemaphore(value: 0)
            Task.detached {
                try? await server.notify(ProgressNotification.message(parameters))
                semaphore.signal()
            }
            semaphore.wait()
        }
    }

    /// Takes one event from the child (any thread).
    func receive(_ event: ProgressChannel.Event) {
        queue.async { [self] in
            guard !done else { return }
            switch event {
            case .started(let id, let label):
                calls[id] = Call(label: label)
                order.append(id)
                started += 1
                latest = "\(label): started"
                startTicking()
            case .status(let id, let status, let percent, let log):
                guard var call = calls[id] else { return }
                call.status = status
                if let percent { call.percent = percent }
                if let log { call.log = log }
                calls[id] = call
                latest = Self.describe(call)
            case .finished(let id):
                guard let call = calls.removeValue(forKey: id) else { return }
                order.removeAll { $0 == id }
                finished += 1
                latest = "\(call.label): finished"
                if order.isEmpty { stopTicking() }
            }
            pending = true
            flushIfDue()
        }
    }

    /// Sends what is pending now, and nothing after it (the call is over).
    func finish() {
        queue.sync {
            if pending { flush() }
            done = true
            stopTicking()
        }
    }

    /// Reports the oldest waiting call again once nothing was sent for `heartbeat`.
    private func startTicking() {
        guard ticker == nil else { return }
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + Self.heartbeat, repeating: Self.heartbeat)
        timer.setEventHandler { [weak self] in self?.tick() }
        timer.resume()
        ticker = timer
    }

    private func stopTicking() {
        ticker?.cancel()
        ticker = nil
    }

    private func tick() {
        guard !done, let first = order.first, let call = calls[first] else { return }
        if let lastSent, DispatchTime.now() < lastSent + Self.heartbeat * 0.9 { return }
        latest = Self.describe(call)
        flush()
    }

    private func flushIfDue() {
        let now = DispatchTime.now()
        guard let lastSent else { return flush() }
        let due = lastSent + Self.interval
        if now >= due { return flush() }
        guard !flushScheduled else { return }
        flushScheduled = true
        queue.asyncAfter(deadline: due) { [self] in
            flushScheduled = false
            if pending, !done { flush() }
        }
    }

    private func flush() {
        pending = false
        lastSent = .now()
        sent += 1
        send(ProgressNotification.Parameters(progressToken: token, progress: Double(sent), total: nil, message: message()))
    }

    /// "1 prediction started, 0 finished; sim/slow: processing, 40%: step 4 of 10".
    private func message() -> String {
        var text = "\(started) \(started == 1 ? "prediction" : "predictions") started, \(finished) finished"
        if let latest { text += "; " + latest }
        if order.count > 1 { text += " (\(order.count) waiting)" }
        return text
    }

    private static func describe(_ call: Call) -> String {
        let waited = Double(DispatchTime.now().uptimeNanoseconds - call.started.uptimeNanoseconds) / 1e9
        var text = "\(call.label): \(call.status) (\(Int(waited.rounded(.down))) s)"
        if let percent = call.percent { text += ", \(percent)%" }
        if let log = call.log { text += ": " + log }
        return text
    }
}

/// The server's link for notifications, connected as the server starts.
final class NotificationLink: @unchecked Sendable {
    private let lock = NSLock()
    private var server: Server?

    func connect(_ server: Server) { lock.withLock { self.server = server } }

    /// A forwarder for a request that carried `token`; nil without one.
    func forwarder(for token: ProgressToken?) -> ProgressForwarder? {
        guard let token, let server = lock.withLock({ self.server }) else { return nil }
        return ProgressForwarder.notifying(server, token: token)
    }
}
