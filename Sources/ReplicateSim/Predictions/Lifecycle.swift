import Foundation

/// One step of a toy model's run. Plans are data so every model shares one runner that
/// handles cancellation, deadlines, SSE events and webhooks the same way.
enum Step: Sendable {
    case wait(Double)
    case log(String)
    /// Appends one element to an iterator output (streaming text).
    case append(JSON)
    case set(JSON)
    /// Stores a generated file and appends its URL to the output list.
    case file(name: String, contentType: String, data: Data)
    case fail(String)
}

enum Plans {
    static let vocabulary = [
        "llamas", "graze", "under", "a", "quiet", "sky", "the", "mountain", "wind", "carries", "soft",
        "wool", "and", "gentle", "eyes", "watch", "over", "valley", "green", "stone", "paths", "wander",
        "slowly", "through", "morning", "light", "of", "Andean", "peaks", "humming", "calm", "songs",
    ]

    /// Deterministic tokens: the same prompt always gives the same words.
    static func tokens(prompt: String, count: Int) -> [String] {
        var rng = SplitMix64(seed: StableHash.fnv(prompt))
        return (0..<count).map { i in
            let w = vocabulary[Int(rng.next() % UInt64(vocabulary.count))]
            return i == 0 ? w.prefix(1).uppercased() + w.dropFirst() : " " + w
        }
    }

    static func plan(kind: ToyKind, input: [String: JSON], id: String) -> [Step] {
        switch kind {
        case .hello:
            return [.wait(0.05), .set(.string("hello " + (input["text"]?.string ?? "")))]
        case .echo:
            var steps: [Step] = [.wait(0.02)]
            if let file = input["file"]?.string, let bytes = DataURL.decode(file) {
                steps.append(.log("file: \(bytes.count) bytes"))
            }
            steps.append(.set(.object(input)))
            return steps
        case .text:
            let n = max(1, input["max_tokens"]?.int ?? 128)
            var steps: [Step] = [.log("Prompt: \(input["prompt"]?.string ?? "")"), .set(.array([]))]
            for t in tokens(prompt: input["prompt"]?.string ?? "", count: n) {
                steps.append(.wait(0.005))
                steps.append(.append(.string(t)))
            }
            steps.append(.log("Generated \(n) tokens"))
            return steps
        case .image:
            let w = input["width"]?.int ?? 512, h = input["height"]?.int ?? 512
            let count = max(1, input["num_outputs"]?.int ?? 1)
            let seed = input["seed"]?.int ?? Int(StableHash.fnv(input["prompt"]?.string ?? "") % 100_000)
            var steps: [Step] = [.log("Using seed: \(seed)"), .log("Prompt: \(input["prompt"]?.string ?? "")"), .set(.array([]))]
            for pct in stride(from: 0, through: 100, by: 25) {
                steps.append(.wait(0.02))
                steps.append(.log("\(String(repeating: " ", count: pct < 10 ? 2 : (pct < 100 ? 1 : 0)))\(pct)%| \(pct / 25)/4"))
            }
            for i in 0..<count {
                steps.append(.file(name: "out-\(i).png", contentType: "image/png", data: PNG.gradient(width: w, height: h, seed: UInt64(seed &+ i))))
            }
            return steps
        case .slow:
            let seconds = max(0, input["seconds"]?.number ?? 1)
            var steps: [Step] = []
            var elapsed = 0.0
            while elapsed < seconds {
                let slice = min(1, seconds - elapsed)
                steps.append(.wait(slice))
                elapsed += slice
                // With its share done, as a progress bar would log it (the progress line and the
                // MCP server's progress notifications read percentages off logs).
                let percent = seconds > 0 ? Int((elapsed / seconds * 100).rounded(.down)) : 100
                steps.append(.log("slept \(String(format: "%.1f", elapsed))s (\(percent)%)"))
            }
            steps.append(.set(.string("slept \(String(format: "%g", seconds))s")))
            return steps
        case .fail:
            return [
                .log("starting"), .wait(0.02), .log("about to fail"), .wait(0.02),
                .fail(input["message"]?.string ?? "simulated failure"),
            ]
        case .trainable:
            return [.wait(0.02), .set(.string("trainable says " + (input["prompt"]?.string ?? "")))]
        }
    }

    static func trainingPlan(input: [String: JSON]) -> [Step] {
        let n = min(1000, max(1, input["steps"]?.int ?? 10))
        var steps: [Step] = []
        for i in 1...n {
            steps.append(.wait(0.02))
            if i % max(1, n / 5) == 0 || i == n { steps.append(.log("step \(i)/\(n)")) }
        }
        return steps
    }
}

/// Runs predictions through `starting → processing → succeeded | failed | canceled | aborted`.
struct Lifecycle: Sendable {
    let state: SimState
    let webhooks: WebhookSender
    let speed: Double

    /// Delay between accepting a prediction and starting it (cold boot, queueing).
    static let startDelay = 0.05

    /// Runs in the background; `input` has the schema defaults applied.
    func start(id: String, input: [String: JSON]) {
        Task { await self.run(id, input: input) }
    }

    private func sleep(_ seconds: Double, id: String) async -> Bool {
        // Sleep in slices so a cancel or deadline is honoured promptly even in sim/slow.
        var left = seconds / max(speed, 0.0001)
        while left > 0 {
            let slice = min(left, 0.05)
            try? await Task.sleep(nanoseconds: UInt64(slice * 1_000_000_000))
            left -= slice
            if checkDeadline(id) { return false }
            guard let r = state.prediction(id), !r.isTerminal else { return false }
        }
        return !(state.prediction(id)?.isTerminal ?? true)
    }

    /// Cancels on `Cancel-After`: before the run started it is `aborted`, after it `canceled`.
    @discardableResult
    func checkDeadline(_ id: String) -> Bool {
        guard let r = state.prediction(id), !r.isTerminal, let d = r.deadline, Date() >= d else { return false }
        finish(id, status: r.startedAt == nil ? "aborted" : "canceled", error: nil)
        return true
    }

    func run(_ id: String, input: [String: JSON]) async {
        guard let first = state.prediction(id) else { return }
        guard await sleep(Lifecycle.startDelay, id: id) else { return }
        guard let started = state.update(id, { r in
            guard r.status == "starting" else { return }
            r.status = "processing"
            r.startedAt = Date()
        }), started.status == "processing" else { return }
        webhooks.send(started, event: "start", api: state.apiBase)

        let plan = first.isTraining ? Plans.trainingPlan(input: input) : Plans.plan(kind: first.kind, input: input, id: id)
        for step in plan {
            switch step {
            case .wait(let s):
                guard await sleep(s, id: id) else { return }
            case .log(let line):
                guard let r = mutate(id, { $0.logs += line + "\n"; $0.addEvent("logs", line) }) else { return }
                webhooks.send(r, event: "logs", api: state.apiBase)
            case .append(let v):
                guard let r = mutate(id, { r in
                    var a = r.output.array ?? []
                    a.append(v)
                    r.output = .array(a)
                    r.addEvent("output", v.string ?? String(decoding: v.encoded(), as: UTF8.self))
                }) else { return }
                webhooks.send(r, event: "output", api: state.apiBase)
            case .set(let v):
                guard let r = mutate(id, { r in
                    r.output = v
                    if case .array(let a) = v, a.isEmpty { return }
                    r.addEvent("output", v.string ?? String(decoding: v.encoded(), as: UTF8.self))
                }) else { return }
                webhooks.send(r, event: "output", api: state.apiBase)
            case .file(let name, let type, let data):
                let path = "/_sim/files/\(id)/\(name)"
                state.served.withLockedValue { $0[path] = ServedFile(contentType: type, data: data) }
                let url = state.root + path
                guard let r = mutate(id, { r in
                    var a = r.output.array ?? []
                    a.append(.string(url))
                    r.output = .array(a)
                    r.addEvent("output", url)
                }) else { return }
                webhooks.send(r, event: "output", api: state.apiBase)
            case .fail(let message):
                finish(id, status: "failed", error: message)
                return
            }
        }
        if first.isTraining { completeTraining(id) }
        finish(id, status: "succeeded", error: nil)
    }

    /// Mutates only while the prediction is still running; nil once it is terminal.
    private func mutate(_ id: String, _ change: (inout PredictionRecord) -> Void) -> PredictionRecord? {
        var applied = false
        let r = state.update(id) { r in
            guard !r.isTerminal else { return }
            change(&r)
            applied = true
        }
        return applied ? r : nil
    }

    /// Moves a running prediction to a terminal state exactly once, then sends `completed`.
    @discardableResult
    func finish(_ id: String, status: String, error: String?) -> PredictionRecord? {
        var changed = false
        let r = state.update(id) { r in
            guard !r.isTerminal else { return }
            changed = true
            r.status = status
            r.error = error
            r.completedAt = Date()
            // As recorded from the service: a prediction canceled before it started gets
            // `started_at` at the moment of cancellation (predict_time ~0); an aborted one has none.
            if status == "canceled", r.startedAt == nil { r.startedAt = r.completedAt }
            if let error { r.addEvent("error", JSON.object(["detail": .string(error)]).encodedString) }
            r.addEvent("done", status == "succeeded" ? "{}" : JSON.object(["reason": .string(status)]).encodedString)
        }
        if changed, let r { webhooks.send(r, event: "completed", api: state.apiBase) }
        return r
    }

    /// A finished training pushes a new version to its destination model.
    private func completeTraining(_ id: String) {
        guard let t = state.prediction(id), let dest = t.destination else { return }
        let source = state.version(id: t.version)
        let newID = IDs.hex(64)
        let version = VersionRecord(
            id: newID, createdAt: Date(), kind: source?.1.kind ?? .trainable,
            inputs: source?.1.inputs ?? [], output: source?.1.output ?? ToyModels.stringOutput,
            trainingInputs: source?.1.trainingInputs)
        state.models.withLockedValue { table in
            table[dest]?.versions.insert(version, at: 0)
        }
        let weights = "/_sim/files/\(id)/weights.tar"
        state.served.withLockedValue { $0[weights] = ServedFile(contentType: "application/x-tar", data: Data("simulated weights for \(dest)\n".utf8)) }
        state.update(id) { r in
            r.output = ["version": .string("\(dest):\(newID)"), "weights": .string(state.root + weights)]
        }
    }
}

extension JSON {
    var encodedString: String { String(decoding: encoded(), as: UTF8.self) }
}
