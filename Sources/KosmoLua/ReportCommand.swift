import ArgumentParser
import Foundation

/// `kosmo-lua report SOURCE [-o FILE]`: one self-contained HTML page of a run, from a folder
/// made by `--save` (its `manifest.jsonl`) or a run log written with `--log`.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kosmo-lua report",
        abstract: "Write an HTML page of a run: a timeline of its calls and each prediction's model, input, status, time and output.",
        discussion: """
            SOURCE is a folder made by --save (read through its manifest.jsonl) or a file written \
            by --log. The page has no script and loads nothing from the network: images show \
            from the run's saved files, which it links to relatively, so keep the page beside them.
            """)

    @Argument(help: "A --save folder or a --log file.")
    var source: String

    @Option(name: [.short, .customLong("output")], help: "Where to write the page (default: report.html in a --save folder, or the log's name with .html).")
    var output: String?

    func run() async throws {
        let report: RunReport
        do {
            report = try RunReportReader.read(source)
        } catch {
            throw Refusal.with(error.message)
        }
        let destination = URL(fileURLWithPath: output ?? defaultOutput(report)).standardizedFileURL
        let html = ReportRenderer(report: report, outputDirectory: destination.deletingLastPathComponent().path).render()
        do {
            try Data(html.utf8).write(to: destination, options: .atomic)
        } catch {
            throw Refusal.with("report: cannot write \(destination.path): \(error.localizedDescription)")
        }
        print("wrote \(destination.path) (\(report.predictions.count) predictions, \(report.calls.count) calls)")
    }

    /// `DIR/report.html` for a folder; `run.html` beside `run.jsonl`.
    func defaultOutput(_ report: RunReport) -> String {
        var isDirectory: ObjCBool = false
        let url = URL(fileURLWithPath: source).standardizedFileURL
        if FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory), isDirectory.boolValue {
            return url.appendingPathComponent("report.html").path
        }
        let stem = url.pathExtension == "html" ? url.lastPathComponent : url.deletingPathExtension().lastPathComponent
        return url.deletingLastPathComponent().appendingPathComponent(stem + ".html").path
    }
}
