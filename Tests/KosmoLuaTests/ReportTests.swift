import Foundation
import Testing

/// `kosmo-lua report` of runs made under `--sim` with `--log`, and of a `--save` folder's
/// manifest: every prediction on the page, images loading from the saved files, nothing
/// outside the page referenced.
@Suite struct ReportTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// The lines of a run log, as JSON objects.
    static func logLines(_ path: String) throws -> [[String: Any]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        }
    }

    /// Runs `script` under `--sim` with `--log DIR/run.jsonl`, then `report`; returns the log's
    /// lines and the page.
    static func runAndReport(_ script: String, in directory: String, arguments: [String] = [], timeout: Double = 60)
        async throws -> (log: [[String: Any]], page: ReportPage) {
        let log = directory + "/run.jsonl"
        let run = try await kosmo(["--sim", "--allow", "run", "--log", log, script] + arguments, timeout: timeout)
        #expect(run.status == 0, "\(run.stderr)")
        let report = try await kosmo(["report", log])
        #expect(report.status == 0, "\(report.stderr)")
        #expect(report.stdout.contains("wrote \(directory)/run.html"))
        return (try logLines(log), try ReportPage(path: directory + "/run.html"))
    }

    @Test func imagePipelineShowsEveryPredictionWithThumbnailsFromTheSavedFiles() async throws {
        let directory = try temporaryDirectory()
        let (log, page) = try await Self.runAndReport(Self.root + "/examples/image_pipeline.lua", in: directory, arguments: [directory])
        #expect(log.first?["kind"] as? String == "run")
        #expect(log.last?["kind"] as? String == "end")
        let calls = log.filter { $0["kind"] as? String == "call" }
        // run, then one download per image; each call line keeps the call record's keys.
        #expect(calls.map { $0["function"] as? String } == ["run", "download", "download"])
        for call in calls {
            for key in ["function", "access", "decision", "ms", "started_at", "ended_at"] { #expect(call[key] != nil, "\(key) in \(call)") }
        }
        let predictions = log.filter { $0["kind"] as? String == "prediction" }
        #expect(predictions.count == 1)
        let prediction = try #require(predictions.first)
        #expect(prediction["model"] as? String == "black-forest-labs/flux-schnell")
        #expect((prediction["input"] as? [String: Any])?["prompt"] as? String == "a llama on a mountain at sunrise, watercolor")
        let outputs = try #require(prediction["outputs"] as? [[String: Any]])
        #expect(outputs.count == 2)

        #expect(page.predictionIDs == predictions.compactMap { $0["prediction_id"] as? String })
        #expect(page.text.contains("black-forest-labs/flux-schnell"))
        #expect(page.text.contains("a llama on a mountain at sunrise, watercolor"))
        try page.expectSelfContained()
        // Two thumbnails, each a saved file whose name is its checksum.
        let images = page.attributes("img", "src")
        #expect(images.count == 2)
        for source in images {
            let file = URL(fileURLWithPath: directory).appendingPathComponent(source.removingPercentEncoding ?? source).standardizedFileURL.path
            let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
            #expect(bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]), "\(file) is a PNG")
            let sum = try await runProcess("/usr/bin/sha256sum", [file])
            #expect(URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent == sum.stdout.prefix(64).description)
        }
        #expect(page.count("rect", class: "call") == 3)
    }

    @Test func fiftyRunMapShowsEveryPredictionInLanesAndTheFailureInRed() async throws {
        let directory = try temporaryDirectory()
        let (log, page) = try await Self.runAndReport(Self.root + "/scripts/map50.lua", in: directory, timeout: 120)
        let predictions = log.filter { $0["kind"] as? String == "prediction" }
        #expect(predictions.count == 51)
        #expect(Set(page.predictionIDs) == Set(predictions.compactMap { $0["prediction_id"] as? String }))
        #expect(page.predictionIDs.count == 51)
        #expect(page.attributes("img", "src").count == 50)
        #expect(page.sections(status: "failed").count == 1)
        #expect(page.text.contains("a failure, to show in red"))
        // The failed run's call is drawn as failed; calls that overlapped sit on separate lanes.
        #expect(page.count("rect", class: "failed") >= 1)
        let lanes = Set(page.attributes("rect", "data-lane"))
        #expect(lanes.count >= 5, "ten at a time: \(lanes.sorted())")
        try page.expectSelfContained()
    }

    @Test func waitsOnRateLimitsAreLoggedAndMarked() async throws {
        let sim = try await SimProcess.start(["--faults", "429:0.3", "--seed", "3"])
        defer { sim.stop() }
        let directory = try temporaryDirectory()
        try write("""
            for i = 1, 6 do replicate.run("sim/echo", { text = "hello " .. i }) end
            """, to: directory + "/echo.lua")
        let log = directory + "/run.jsonl"
        let run = try await kosmo(["--allow", "run", "--log", log, directory + "/echo.lua"],
                                  environment: ["REPLICATE_API_TOKEN": "r8_test", "REPLICATE_URL": sim.baseURL], timeout: 90)
        #expect(run.status == 0, "\(run.stderr)")
        let waits = try Self.logLines(log).filter { $0["kind"] as? String == "wait" }
        #expect(!waits.isEmpty)
        for wait in waits {
            #expect(wait["status"] as? Int == 429)
            #expect((wait["seconds"] as? Double).map { $0 >= 0 && $0 <= 30 } == true)
            #expect((wait["request"] as? String)?.hasPrefix("POST ") == true || (wait["request"] as? String)?.hasPrefix("GET ") == true)
        }
        let report = try await kosmo(["report", log, "-o", directory + "/page.html"])
        #expect(report.status == 0, "\(report.stderr)")
        let page = try ReportPage(path: directory + "/page.html")
        #expect(page.count("rect", class: "wait") == waits.count)
        #expect(page.text.contains("\(waits.count) waits on rate limits"))
        #expect(page.predictionIDs.count == 6)
    }

    @Test func saveFolderIsReadThroughItsManifest() async throws {
        let directory = try temporaryDirectory()
        // A 1×1 PNG saved under its checksum, as --save names files.
        let png = Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==") ?? Data()
        let sum = "4f2b1e" + String(repeating: "0", count: 58)
        try FileManager.default.createDirectory(atPath: directory + "/files", withIntermediateDirectories: true)
        try png.write(to: URL(fileURLWithPath: directory + "/files/\(sum).png"))
        try Data("{\"weights\": 1}".utf8).write(to: URL(fileURLWithPath: directory + "/files/\(sum).json"))
        let lines = [
            #"{"prediction_id":"p-image","model":"black-forest-labs/flux-schnell","version":"abc","input":{"prompt":"a llama"},"outputs":[{"url":"https://replicate.delivery/x/out-0.png","path":"files/\#(sum).png","sha256":"\#(sum)","bytes":\#(png.count)},{"url":"https://replicate.delivery/x/w.json","path":"files/\#(sum).json","sha256":"\#(sum)","bytes":14}],"timings":{"created_at":"2026-01-02T03:04:05.000Z","started_at":"2026-01-02T03:04:05.5Z","completed_at":"2026-01-02T03:04:07.25Z","predict_time":1.75},"status":"succeeded"}"#,
            #"{"prediction_id":"p-text","model":"meta/llama","input":{"prompt":"hi"},"output":["Hel","lo ","there"],"outputs":[],"timings":{"created_at":"2026-01-02T03:04:06Z","completed_at":"2026-01-02T03:04:08Z"}}"#,
        ]
        try write(lines.joined(separator: "\n") + "\n", to: directory + "/manifest.jsonl")
        let report = try await kosmo(["report", directory])
        #expect(report.status == 0, "\(report.stderr)")
        let page = try ReportPage(path: directory + "/report.html")
        #expect(page.predictionIDs == ["p-image", "p-text"])
        #expect(page.attributes("img", "src") == ["files/\(sum).png"])
        #expect(page.attributes("a", "href").contains("files/\(sum).json"))
        #expect(page.text.contains("14 bytes"))
        #expect(page.text.contains("Hello there"))
        #expect(page.text.contains("1.75 s"))
        #expect(page.count("rect", class: "prediction") == 2)
        try page.expectSelfContained()
    }

    @Test func badSourcesAreReportedWithWhatIsWrong() async throws {
        let directory = try temporaryDirectory()
        let missing = try await kosmo(["report", directory + "/nothing"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("does not exist"))
        let empty = try await kosmo(["report", directory])
        #expect(empty.status == 1)
        #expect(empty.stderr.contains("no manifest.jsonl"))
        try write("{\"kind\":\"run\",\"started_at\":\"2026-01-01T00:00:00Z\",\"kosmo_lua\":\"0.1.0\",\"commit\":\"x\"}\nnot json\n", to: directory + "/bad.jsonl")
        let broken = try await kosmo(["report", directory + "/bad.jsonl"])
        #expect(broken.status == 1)
        #expect(broken.stderr.contains("line 2: not a JSON object"))
        try write("{\"kind\":\"call\",\"function\":\"run\",\"ended_at\":\"yesterday\"}\n", to: directory + "/time.jsonl")
        let time = try await kosmo(["report", directory + "/time.jsonl"])
        #expect(time.stderr.contains("line 1: a call needs 'ended_at', an ISO 8601 time"))
        try write("{\"model\":\"a/b\"}\n", to: directory + "/manifest.jsonl")
        let manifest = try await kosmo(["report", directory])
        #expect(manifest.status == 1)
        #expect(manifest.stderr.contains("line 1: missing 'prediction_id'"))
        try write(#"{"prediction_id":"p1","outputs":[{"path":"../../etc/passwd"}]}"# + "\n", to: directory + "/manifest.jsonl")
        let escaping = try await kosmo(["report", directory])
        #expect(escaping.status == 1)
        #expect(escaping.stderr.contains("line 1: an output's 'path' must name a file inside the folder"))
        for result in [missing, empty, broken, time, manifest, escaping] { #expect(!result.stderr.contains("Fatal error")) }
    }

    @Test func aLogThatCannotBeWrittenStopsTheRunFirst() async throws {
        let result = try await kosmo(["--log", "/nonexistent-folder/run.jsonl", "-e", "print('ran')"])
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("--log: cannot write /nonexistent-folder/run.jsonl"))
    }
}

/// The report page, read as HTML: its tags and their attributes.
struct ReportPage {
    let html: String
    let tags: [(name: String, attributes: [String: String])]

    init(path: String) throws {
        html = try String(contentsOfFile: path, encoding: .utf8)
        let tagPattern = try NSRegularExpression(pattern: #"<([a-zA-Z][a-zA-Z0-9]*)([^>]*)>"#)
        let attributePattern = try NSRegularExpression(pattern: #"([a-zA-Z-]+)="([^"]*)""#)
        let text = html as NSString
        tags = tagPattern.matches(in: html, range: NSRange(location: 0, length: text.length)).map { match in
            let name = text.substring(with: match.range(at: 1)).lowercased()
            let body = text.substring(with: match.range(at: 2)) as NSString
            var attributes: [String: String] = [:]
            for attribute in attributePattern.matches(in: body as String, range: NSRange(location: 0, length: body.length)) {
                attributes[body.substring(with: attribute.range(at: 1)).lowercased()] = Self.unescape(body.substring(with: attribute.range(at: 2)))
            }
            return (name, attributes)
        }
    }

    static func unescape(_ text: String) -> String {
        text.replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
    }

    /// The page's text, entities decoded (tags left in: enough to find words).
    var text: String { Self.unescape(html) }

    func attributes(_ tag: String, _ attribute: String) -> [String] {
        tags.filter { $0.name == tag }.compactMap { $0.attributes[attribute] }
    }

    func count(_ tag: String, class name: String) -> Int {
        tags.filter { $0.name == tag && ($0.attributes["class"] ?? "").split(separator: " ").contains(Substring(name)) }.count
    }

    var predictionIDs: [String] { tags.filter { $0.name == "section" }.compactMap { $0.attributes["data-prediction-id"] } }

    func sections(status: String) -> [[String: String]] {
        tags.filter { $0.name == "section" && $0.attributes["data-status"] == status }.map(\.attributes)
    }

    /// No script, no stylesheet or frame from elsewhere, and every link or source inside the
    /// page or relative to it.
    func expectSelfContained() throws {
        for banned in ["script", "link", "iframe", "object", "embed", "base"] {
            #expect(!tags.contains { $0.name == banned }, "<\(banned)> in the page")
        }
        #expect(!html.contains("url("))
        #expect(!html.contains("@import"))
        for tag in tags {
            for key in ["src", "href", "srcset", "action", "xmlns", "poster", "data"] {
                guard let value = tag.attributes[key] else { continue }
                #expect(!value.contains(":") && !value.hasPrefix("//") && !value.hasPrefix("/"), "<\(tag.name) \(key)=\"\(value)\"> leaves the page")
            }
        }
        for source in attributes("img", "src") { #expect(!source.isEmpty) }
    }
}
