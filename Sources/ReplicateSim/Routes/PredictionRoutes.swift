import Foundation
import Hummingbird

extension SimCore {
    func registerPredictionRoutes(on router: Router<BasicRequestContext>) {
        router.post("/v1/predictions") { request, _ in
            let body = try await request.jsonObject()
            guard let ref = body["version"]?.string, !ref.isEmpty else {
                throw Problem.invalid("- version: version is required\n", errors: [.init(type: "required", field: "version", description: "version is required")])
            }
            let (model, version) = try self.resolveVersion(ref)
            return try await self.createPrediction(request: request, body: body, model: model, version: version, deployment: nil)
        }

        router.post("/v1/models/:owner/:name/predictions") { request, context in
            let owner = try context.parameters.require("owner"), name = try context.parameters.require("name")
            guard let model = self.state.model(owner, name) else { throw Problem.notFound("Model \(owner)/\(name) not found.") }
            guard model.official, let version = model.versions.first else {
                throw Problem.notFound("The model \(owner)/\(name) is not an official model; create predictions with a version instead.")
            }
            let body = try await request.jsonObject()
            return try await self.createPrediction(request: request, body: body, model: model, version: version, deployment: nil)
        }

        router.get("/v1/predictions") { request, _ in
            let q = parseQuery(request.uri.query)
            var list = self.state.listPredictions(trainings: false)
            if let after = q["created_after"] {
                guard let d = Timestamp.parse(after) else { throw Problem.badRequest("created_after must be an ISO 8601 date-time.") }
                list = list.filter { $0.createdAt > d }
            }
            if let before = q["created_before"] {
                guard let d = Timestamp.parse(before) else { throw Problem.badRequest("created_before must be an ISO 8601 date-time.") }
                list = list.filter { $0.createdAt < d }
            }
            if let source = q["source"], source != "api" { list = [] }
            let api = self.state.apiBase
            return try Pagination.page(list.map { $0.json(api: api) }, request: request, root: self.state.root, pageSize: self.options.pageSize)
        }

        // The hot path: one dictionary lookup and a copy of pre-rendered bytes.
        router.get("/v1/predictions/:id") { _, context in
            let id = context.parameters.get("id") ?? ""
            guard let buffer = self.state.encodedPrediction(id) else { throw Problem.notFound() }
            return jsonResponse(buffer: buffer)
        }

        router.post("/v1/predictions/:id/cancel") { _, context in
            let id = context.parameters.get("id") ?? ""
            guard self.state.prediction(id) != nil else { throw Problem.notFound() }
            self.lifecycle.finish(id, status: "canceled", error: nil)
            guard let buffer = self.state.encodedPrediction(id) else { throw Problem.notFound() }
            return jsonResponse(buffer: buffer)
        }

        router.get("/v1/streams/:id") { request, context in
            try self.stream(request: request, id: context.parameters.get("id") ?? "")
        }
    }

    /// `owner/name`, `owner/name:<id>` or a bare `<id>`, as `POST /predictions` accepts them.
    func resolveVersion(_ ref: String) throws -> (ModelRecord, VersionRecord) {
        let invalid = Problem(
            status: .unprocessableContent, title: "Invalid version or not permitted",
            detail: "The specified version does not exist (or perhaps you don't have permission to use it?)")
        if let colon = ref.firstIndex(of: ":") {
            let full = String(ref[..<colon]), id = String(ref[ref.index(after: colon)...])
            let parts = full.split(separator: "/")
            guard parts.count == 2, let m = state.model(String(parts[0]), String(parts[1])),
                let v = m.versions.first(where: { $0.id == id })
            else { throw invalid }
            return (m, v)
        }
        if ref.contains("/") {
            let parts = ref.split(separator: "/")
            guard parts.count == 2, let m = state.model(String(parts[0]), String(parts[1])), let v = m.versions.first else { throw invalid }
            return (m, v)
        }
        guard let found = state.version(id: ref) else { throw invalid }
        return found
    }

    /// Shared by the three create calls: validates, stores, starts, and honours `Prefer: wait`.
    func createPrediction(request: Request, body: [String: JSON], model: ModelRecord, version: VersionRecord, deployment: String?) async throws -> Response {
        guard let input = body["input"]?.object else {
            throw Problem.invalid("- input: input is required\n", errors: [.init(type: "required", field: "input", description: "input is required")])
        }
        var errors = Schema.validate(input, against: version.inputs)
        errors += validateFileInputs(input, props: version.inputs)
        if !errors.isEmpty {
            let detail = errors.map { "- input.\($0.field): \($0.description)\n" }.joined()
            throw Problem.invalid(detail, errors: errors.map { .init(type: $0.type, field: "input.\($0.field)", description: $0.description) })
        }
        var record = PredictionRecord(id: IDs.prediction(), model: model.fullName, version: version.id, kind: version.kind, input: input)
        record.stream = body["stream"]?.bool
        record.deployment = deployment
        try applyWebhook(body, to: &record)
        if let cancelAfter = request.header("Cancel-After") {
            guard let seconds = CancelAfter.parse(cancelAfter) else {
                throw Problem.badRequest("Cancel-After must be a duration such as 30s, 5m or 1h30m (minimum 5s, maximum 8760h).")
            }
            record.deadline = Date().addingTimeInterval(seconds / max(options.speed, 0.0001))
        }
        // The runner needs the defaults applied; the stored input stays as the client sent it.
        let runInput = Schema.withDefaults(input, props: version.inputs)
        state.insert(record)
        state.models.withLockedValue { $0[model.fullName]?.runCount += 1 }
        lifecycle.start(id: record.id, input: runInput)
        if let wait = PreferWait.parse(request.header("Prefer")) {
            await waitForTerminal(record.id, seconds: wait)
        }
        guard let buffer = state.encodedPrediction(record.id) else { throw Problem.notFound() }
        return jsonResponse(buffer: buffer, status: .created)
    }

    func applyWebhook(_ body: [String: JSON], to record: inout PredictionRecord) throws {
        if let hook = body["webhook"], hook != .null {
            guard let url = hook.string, url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw Problem.invalid("- webhook: Does not match format 'uri'\n", errors: [.init(type: "format", field: "webhook", description: "Does not match format 'uri'")])
            }
            record.webhook = url
        }
        if let filter = body["webhook_events_filter"]?.array {
            let allowed: Set<String> = ["start", "output", "logs", "completed"]
            let events = filter.compactMap(\.string)
            guard events.count == filter.count, events.allSatisfy(allowed.contains) else {
                throw Problem.invalid("- webhook_events_filter: must contain only start, output, logs, completed\n")
            }
            record.webhookEvents = Set(events)
        }
    }

    /// Data URLs must decode; URLs pointing at this simulator's files must exist.
    func validateFileInputs(_ input: [String: JSON], props: [InputProperty]) -> [ValidationError] {
        var errors: [ValidationError] = []
        let api = state.apiBase
        for p in props where p.kind == .file {
            guard let s = input[p.name]?.string else { continue }
            if s.hasPrefix("data:") {
                if DataURL.decode(s) == nil { errors.append(.init(type: "format", field: p.name, description: "\(p.name): invalid data URL")) }
                if s.utf8.count > 256 * 1024 * 4 / 3 + 256 {
                    errors.append(.init(type: "format", field: p.name, description: "\(p.name): data URLs are limited to 256KB; upload the file with POST /v1/files"))
                }
            } else if s.hasPrefix(api + "/files/") {
                let id = String(s.dropFirst(api.count + 7))
                if state.files.withLockedValue({ $0[id] }) == nil {
                    errors.append(.init(type: "format", field: p.name, description: "\(p.name): file not found"))
                }
            }
        }
        return errors
    }

    func waitForTerminal(_ id: String, seconds: Double) async {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            lifecycle.checkDeadline(id)
            guard let r = state.prediction(id), !r.isTerminal else { return }
            try? await Task.sleep(nanoseconds: 5_000_000)
        }
    }
}

/// `Prefer: wait` (60 s) or `wait=N` (1...60).
enum PreferWait {
    static func parse(_ header: String?) -> Double? {
        guard let header else { return nil }
        for part in header.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if part == "wait" { return 60 }
            if part.hasPrefix("wait=") {
                let n = Double(part.dropFirst(5)) ?? 60
                return min(60, max(1, n))
            }
        }
        return nil
    }
}

/// `Cancel-After: 30s | 5m | 1h30m`; a bare number is seconds; at least 5 s, at most a year
/// (a longer one is refused rather than turned into a date past what timestamps can say).
enum CancelAfter {
    static let maxSeconds = 31_536_000.0

    static func parse(_ s: String) -> Double? {
        guard let seconds = duration(s), seconds.isFinite, seconds <= maxSeconds else { return nil }
        return seconds
    }

    private static func duration(_ s: String) -> Double? {
        let t = s.trimmingCharacters(in: .whitespaces)
        if let n = Double(t) { return n >= 0 ? max(5, n) : nil }
        var total = 0.0, number = "", sawUnit = false
        for ch in t {
            if ch.isNumber || ch == "." { number.append(ch); continue }
            guard let n = Double(number) else { return nil }
            switch ch {
            case "h": total += n * 3600
            case "m": total += n * 60
            case "s": total += n
            default: return nil
            }
            number = ""
            sawUnit = true
        }
        guard number.isEmpty, sawUnit else { return nil }
        return max(5, total)
    }
}
