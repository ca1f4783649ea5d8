import ArgumentParser
import Foundation
import KosmoJournal

/// `kosmo-lua journal FILE [--json]`: what a run's journal (`--journal FILE`) holds — how many
/// creates are in each state, what is still running (with ids), what was sent without an answer
/// recorded, and what failed.
struct JournalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kosmo-lua journal",
        abstract: "Show a run's journal of creates: counts by state, what is still running, what failed.",
        discussion: """
            FILE is a journal written with --journal FILE (or replicate.journal). States: sent (the \
            request left, no answer recorded: a rerun looks for its prediction before sending \
            again), starting, processing, succeeded, failed, canceled, aborted (as last seen). \
            Running the same script again with the same journal reattaches to what it made; \
            --journal-reset starts the batch over.
            """)

    @Argument(help: "The journal file.")
    var file: String

    @Flag(help: "One JSON object: journal, script, total, counts by state, running, unanswered, failed.")
    var json = false

    func run() async throws {
        let summary: JournalSummary
        do {
            summary = try JournalSummary.read(file)
        } catch {
            throw Refusal.with("journal: " + error.message)
        }
        if json {
            print((try? summary.json.encodedString()) ?? "{}")
        } else {
            print(summary.text)
        }
    }
}
