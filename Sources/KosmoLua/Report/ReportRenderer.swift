import Foundation
import Replicate

/// Renders a `RunReport` as one self-contained HTML page: inline style, inline SVG, no script,
/// and no reference outside the page except relative links to the run's saved files (images
/// load from them). Output URLs appear as text, never as links, so opening the page fetches
/// nothing from the network.
struct ReportRenderer {
    let report: RunReport
    /// The folder the page is written to: links to saved files are made relative to it.
    let outputDirectory: String

    static let imageExtensions: Set<String> = ["png", "jpg", "jpeg", "gif", "webp", "avif", "bmp"]
    /// Longest input string shown whole (a data URI can be megabytes).
    static let maxInputText = 4000

    func render() -> String {
        var page = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(HTML.escape(title))</title>
            <style>\(Self.style)</style>
            </head><body>
            <h1>\(HTML.escape(title))</h1>

            """
        page += summary()
        page += timeline()
        page += "<h2>Predictions (\(report.predictions.count))</h2>\n<div class=\"predictions\">\n"
        for prediction in report.predictions { page += card(prediction) }
        page += "</div>\n</body></html>\n"
        return page
    }

    var title: String { "kosmo-lua run: " + (report.script ?? URL(fileURLWithPath: report.source).lastPathComponent) }

    // MARK: Summary

    func summary() -> String {
        let failedCalls = report.calls.filter(\.failed).count
        let failedPredictions = report.predictions.filter(\.failed).count
        var items: [String] = ["source <code>\(HTML.escape(report.source))</code>"]
        if let started = report.started ?? report.span?.start { items.append("started \(HTML.escape(Timestamps.text(started)))") }
        if let span = report.span { items.append(String(format: "%.1f s shown", span.end.timeIntervalSince(span.start))) }
        if !report.calls.isEmpty { items.append("\(report.calls.count) calls" + (failedCalls > 0 ? ", <span class=\"bad\">\(failedCalls) failed</span>" : "")) }
        items.append("\(report.predictions.count) predictions" + (failedPredictions > 0 ? ", <span class=\"bad\">\(failedPredictions) failed</span>" : ""))
        if !report.waits.isEmpty {
            let seconds = report.waits.reduce(0) { $0 + $1.seconds }
            items.append(String(format: "<span class=\"waitnote\">%d waits on rate limits (%.1f s)</span>", report.waits.count, seconds))
        }
        return "<p class=\"summary\">" + items.joined(separator: " · ") + "</p>\n"
    }

    // MARK: Timeline

    /// One bar on the timeline.
    struct Bar {
        var start: Date
        var end: Date
        var label: String
        var predictionID: String?
        var failed: Bool
        var kind: String
    }

    var bars: [Bar] {
        if !report.calls.isEmpty {
            return report.calls.map { call in
                var label = "replicate.\(call.function)"
                if let status = call.status { label += " → \(status)" }
                if let error = call.error { label += " (\(error) error)" }
                label += String(format: ", %.2f s", call.ended.timeIntervalSince(call.started))
                if let id = call.predictionID { label += " [\(id)]" }
                return Bar(start: call.started, end: call.ended, label: label, predictionID: call.predictionID,
                           failed: call.failed, kind: "call")
            }
        }
        return report.predictions.compactMap { prediction in
            guard let start = prediction.created ?? prediction.started else { return nil }
            let end = max(prediction.completed ?? start, start)
            return Bar(start: start, end: end, label: "\(prediction.model ?? "prediction") \(prediction.status ?? "") [\(prediction.id)]",
                       predictionID: prediction.id, failed: prediction.failed, kind: "prediction")
        }
    }

    func timeline() -> String {
        let bars = self.bars
        guard let span = report.span, !bars.isEmpty || !report.waits.isEmpty else {
            return "<h2>Timeline</h2>\n<p>No timed calls in this source.</p>\n"
        }
        let lanes = TimelineLanes.assign(bars.map { ($0.start, $0.end) })
        let laneCount = (lanes.max() ?? -1) + 1
        let width = 1100.0, left = 10.0, plot = width - 2 * left
        let laneHeight = laneCount > 60 ? 8.0 : 16.0
        let axis = 22.0, waitRow = report.waits.isEmpty ? 0.0 : laneHeight + 6
        let height = axis + waitRow + Double(laneCount) * (laneHeight + 2) + 8
        let total = span.end.timeIntervalSince(span.start)
        func x(_ date: Date) -> Double { left + plot * date.timeIntervalSince(span.start) / total }
        var svg = "<h2>Timeline</h2>\n<p class=\"legend\"><span class=\"key ok\"></span> call "
            + "<span class=\"key failed\"></span> failed <span class=\"key wait\"></span> waiting on a rate limit"
            + " · \(laneCount) lane\(laneCount == 1 ? "" : "s") (calls that overlap in time)</p>\n"
        svg += String(format: "<svg class=\"timeline\" viewBox=\"0 0 %.0f %.0f\" width=\"100%%\" role=\"img\">\n", width, height)
        let step = Self.tickStep(total)
        var tick = 0.0
        while tick <= total + 1e-9 {
            let tx = left + plot * tick / total
            svg += String(format: "<line class=\"tick\" x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\"/>", tx, axis - 4, tx, height)
            svg += String(format: "<text class=\"axis\" x=\"%.1f\" y=\"12\">%@ s</text>\n", tx, Self.seconds(tick) as NSString)
            tick += step
        }
        for wait in report.waits {
            let x0 = x(wait.at), x1 = max(x(wait.at.addingTimeInterval(wait.seconds)), x0 + 2)
            svg += String(format: "<rect class=\"wait\" x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" height=\"%.0f\"><title>%@</title></rect>\n",
                          x0, axis, x1 - x0, laneHeight, HTML.escape("waited \(Self.seconds(wait.seconds)) s after \(wait.status): \(wait.request)") as NSString)
        }
        for (bar, lane) in zip(bars, lanes) {
            let x0 = x(bar.start), x1 = max(x(bar.end), x0 + 2)
            let y = axis + waitRow + Double(lane) * (laneHeight + 2)
            let rect = String(format: "<rect class=\"%@%@\" data-lane=\"%d\" x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" height=\"%.0f\"><title>%@</title></rect>",
                              bar.kind, bar.failed ? " failed" : "", lane, x0, y, x1 - x0, laneHeight, HTML.escape(bar.label) as NSString)
            // The function's name on bars wide enough to hold it.
            let name = bar.label.prefix { $0 != " " && $0 != "," }
            let label = x1 - x0 > Double(name.count) * 6.5 + 8 && laneHeight >= 16
                ? String(format: "<text class=\"label\" x=\"%.1f\" y=\"%.0f\">%@</text>", x0 + 4, y + 12, HTML.escape(String(name)) as NSString) : ""
            if let id = bar.predictionID, report.predictions.contains(where: { $0.id == id }) {
                svg += "<a href=\"#\(HTML.escape(anchor(id)))\">\(rect)\(label)</a>\n"
            } else {
                svg += rect + label + "\n"
            }
        }
        return svg + "</svg>\n"
    }

    /// A tick every 1, 2 or 5 × 10ⁿ seconds: at most 12 ticks.
    static func tickStep(_ total: Double) -> Double {
        var step = 0.001
        while total / step > 12 {
            for factor in [2.0, 2.5, 2.0] {
                step *= factor
                if total / step <= 12 { return step }
            }
        }
        return step
    }

    static func seconds(_ value: Double) -> String {
        value >= 10 || value == value.rounded() ? String(format: "%.0f", value) : String(format: value < 1 ? "%.2f" : "%.1f", value)
    }

    // MARK: Predictions

    func anchor(_ id: String) -> String { "p-" + id }

    func card(_ prediction: RunReport.Prediction) -> String {
        let status = prediction.status ?? "unknown"
        var html = "<section class=\"prediction\(prediction.failed ? " failed" : "")\" id=\"\(HTML.escape(anchor(prediction.id)))\" "
            + "data-prediction-id=\"\(HTML.escape(prediction.id))\" data-status=\"\(HTML.escape(status))\">\n"
        html += "<h3>\(HTML.escape(prediction.model ?? "unknown model"))</h3>\n"
        html += "<p class=\"meta\"><span class=\"status \(HTML.escape(status))\">\(HTML.escape(status))</span>"
        if let time = runTime(prediction) { html += " · " + String(format: "%.2f s", time) }
        html += " · <code>\(HTML.escape(prediction.id))</code></p>\n"
        if let input = prediction.input?.objectValue, !input.isEmpty {
            html += "<table class=\"input\">"
            for key in input.keys.sorted() {
                guard let value = input[key] else { continue }
                html += "<tr><th>\(HTML.escape(key))</th><td>\(HTML.escape(inputText(value)))</td></tr>"
            }
            html += "</table>\n"
        }
        if let error = prediction.error { html += "<pre class=\"error\">\(HTML.escape(error))</pre>\n" }
        html += output(prediction)
        return html + "</section>\n"
    }

    func runTime(_ prediction: RunReport.Prediction) -> Double? {
        if let time = prediction.predictTime { return time }
        guard let end = prediction.completed, let start = prediction.started ?? prediction.created else { return nil }
        return max(0, end.timeIntervalSince(start))
    }

    func inputText(_ value: JSONValue) -> String {
        let text: String
        switch value {
        case .string(let string): text = string
        default: text = Self.json(value)
        }
        guard text.count > Self.maxInputText else { return text }
        return String(text.prefix(Self.maxInputText)) + "… (\(text.utf8.count) bytes in all)"
    }

    /// Files as thumbnails or links, text in full, anything else as JSON.
    func output(_ prediction: RunReport.Prediction) -> String {
        var html = ""
        var fileURLs: Set<String> = []
        if !prediction.files.isEmpty {
            html += "<div class=\"files\">"
            for file in prediction.files {
                if let url = file.url { fileURLs.insert(url) }
                html += self.file(file)
            }
            html += "</div>\n"
        }
        guard let output = prediction.output, output != .null else { return html }
        switch output {
        case .string(let text) where !fileURLs.contains(text):
            html += "<pre class=\"text\">\(HTML.escape(text))</pre>\n"
        case .array(let items) where !items.isEmpty && items.allSatisfy({ $0.stringValue != nil }):
            let strings = items.compactMap(\.stringValue)
            let unsaved = strings.filter { !fileURLs.contains($0) }
            if unsaved.isEmpty { break }
            if unsaved.allSatisfy({ $0.hasPrefix("http://") || $0.hasPrefix("https://") }) {
                html += "<ul class=\"urls\">" + unsaved.map { "<li>not saved: <code>\(HTML.escape($0))</code></li>" }.joined() + "</ul>\n"
            } else {
                html += "<pre class=\"text\">\(HTML.escape(strings.joined()))</pre>\n"
            }
        case .string:
            break
        default:
            html += "<pre class=\"json\">\(HTML.escape(Self.json(output)))</pre>\n"
        }
        return html
    }

    func file(_ file: SavedOutput) -> String {
        guard let path = file.path else {
            return "<p class=\"unsaved\">not saved: <code>\(HTML.escape(file.url ?? "(no URL)"))</code></p>"
        }
        let absolute = path.hasPrefix("/") ? path : report.baseDirectory + "/" + path
        let href = HTML.escape(HTML.relativeURL(Self.relativePath(from: outputDirectory, to: absolute)))
        let name = HTML.escape(URL(fileURLWithPath: path).lastPathComponent)
        let size = file.bytes.map(Self.size) ?? "size unknown"
        let ext = URL(fileURLWithPath: path).pathExtension.lowercased()
        if Self.imageExtensions.contains(ext) {
            return "<figure><a href=\"\(href)\"><img class=\"thumb\" src=\"\(href)\" alt=\"\(name)\" loading=\"lazy\"></a>"
                + "<figcaption>\(HTML.escape(size))</figcaption></figure>"
        }
        return "<p class=\"file\"><a href=\"\(href)\">\(name)</a> (\(HTML.escape(size)))</p>"
    }

    static func size(_ bytes: Int) -> String {
        if bytes < 1024 { return "\(bytes) bytes" }
        if bytes < 1 << 20 { return String(format: "%.1f KiB", Double(bytes) / 1024) }
        return String(format: "%.1f MiB", Double(bytes) / 1_048_576)
    }

    static func json(_ value: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).flatMap { String(data: $0, encoding: .utf8) } ?? "\(value)"
    }

    /// `to` relative to the folder `from` (both absolute): `../run.files/ab.png`.
    static func relativePath(from directory: String, to path: String) -> String {
        let from = URL(fileURLWithPath: directory).standardizedFileURL.pathComponents
        let to = URL(fileURLWithPath: path).standardizedFileURL.pathComponents
        var common = 0
        while common < from.count, common < to.count, from[common] == to[common] { common += 1 }
        let up = Array(repeating: "..", count: from.count - common)
        return (up + to[common...]).joined(separator: "/")
    }

    static let style = """
        body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#222;background:#fafafa}
        h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}h3{font-size:14px;margin:0 0 4px}
        code{font:12px ui-monospace,monospace}.summary{color:#555}.bad{color:#c62828;font-weight:600}
        .waitnote{color:#e65100}.legend{color:#555;font-size:12px}
        .key{display:inline-block;width:12px;height:10px;margin:0 4px 0 10px;vertical-align:middle}
        .key.ok{background:#1e88e5}.key.failed{background:#e53935}.key.wait{background:#fb8c00}
        svg.timeline{background:#fff;border:1px solid #ddd}
        svg .call,svg .prediction{fill:#1e88e5}svg .failed{fill:#e53935}svg .wait{fill:#fb8c00;opacity:.8}
        svg .tick{stroke:#eee}svg .axis{font-size:10px;fill:#777}svg .label{font-size:10px;fill:#fff;pointer-events:none}
        .predictions{display:grid;grid-template-columns:repeat(auto-fill,minmax(320px,1fr));gap:12px}
        .prediction{background:#fff;border:1px solid #ddd;border-left:4px solid #1e88e5;padding:10px;overflow:hidden}
        .prediction.failed{border-left-color:#e53935}.meta{margin:0 0 6px;color:#555}
        .status{font-weight:600}.status.succeeded{color:#2e7d32}.status.failed,.status.canceled{color:#c62828}
        table.input{border-collapse:collapse;width:100%;font-size:12px;margin-bottom:6px}
        table.input th{text-align:left;vertical-align:top;padding:2px 6px 2px 0;color:#555;white-space:nowrap}
        table.input td{padding:2px 0;white-space:pre-wrap;word-break:break-word}
        pre{white-space:pre-wrap;word-break:break-word;background:#f4f4f4;padding:6px;margin:6px 0;font-size:12px}
        pre.error{background:#ffebee;color:#b71c1c}.files{display:flex;flex-wrap:wrap;gap:8px}
        figure{margin:0}img.thumb{max-width:144px;max-height:144px;border:1px solid #ccc;display:block}
        figcaption{font-size:11px;color:#777}.unsaved{font-size:12px;color:#777}
        """
}
