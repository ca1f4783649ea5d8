/// A command's `--help` text read back into parts: the man page and the shell completions are
/// written from these, so they say what `--help` says and cannot drift from it.
struct HelpText: Sendable {
    /// One option as a help line lists it: `-e stat`, `--log FILE`, `-h, --help`.
    struct Option: Sendable, Equatable {
        /// Every spelling, dashes included (`-h`, `--help`).
        var names: [String]
        /// The value's placeholder (`FILE`, `<port>`), nil for a switch.
        var value: String?
        var description: String

        /// What a shell should offer for the value.
        enum ValueKind { case none, directory, file, word }
        var valueKind: ValueKind {
            guard let value else { return .none }
            let upper = value.uppercased()
            if upper.contains("DIR") { return .directory }
            if ["FILE", "SOURCE", "PATH", "SCRIPT", "OUTPUT"].contains(where: upper.contains) { return .file }
            return .word
        }
    }

    /// A block of the text: a heading, an option, or lines of prose.
    enum Block: Sendable, Equatable {
        case heading(String)
        case option(Option)
        /// Lines as written; `indented` lines are shown as they are (a layout, an example).
        case prose([String], indented: Bool)
    }

    var synopsis: [String] = []
    var blocks: [Block] = []

    var options: [Option] {
        blocks.compactMap { if case .option(let option) = $0 { return option } else { return nil } }
    }

    /// Parses `lua`-style help (`usage: …`, `Options:`, `  --name VALUE   description`) and
    /// swift-argument-parser's (`USAGE: …`, `OPTIONS:`, `  --name <value>   Description.`).
    init(_ text: String) {
        var lastOptionIndent = -1
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            let line = raw.replacingOccurrences(of: "\t", with: "    ")
            let indent = line.prefix { $0 == " " }.count
            let body = String(line.dropFirst(indent))
            if body.isEmpty { lastOptionIndent = -1; continue }
            if indent == 0, let usage = Self.usage(body) {
                synopsis.append(usage)
                continue
            }
            if indent == 0, let (heading, rest) = Self.heading(body) {
                blocks.append(.heading(heading))
                if !rest.isEmpty { blocks.append(.prose([rest], indented: false)) }
                lastOptionIndent = -1
                continue
            }
            // A continuation of the option above: indented deeper than its name (it may start
            // with a dash: "--save folder, or …").
            if lastOptionIndent >= 0, indent > lastOptionIndent + 2, case .option(var option)? = blocks.last {
                option.description += (option.description.isEmpty ? "" : " ") + body
                blocks[blocks.count - 1] = .option(option)
                continue
            }
            if indent > 0, body.hasPrefix("-"), let option = Self.option(body) {
                blocks.append(.option(option))
                lastOptionIndent = indent
                continue
            }
            lastOptionIndent = -1
            let indented = indent > 0
            if case .prose(var lines, let wasIndented)? = blocks.last, wasIndented == indented {
                lines.append(indented ? line : body)
                blocks[blocks.count - 1] = .prose(lines, indented: indented)
            } else {
                blocks.append(.prose([indented ? line : body], indented: indented))
            }
        }
    }

    /// `usage: kosmo-lua exec …` or `USAGE: …` → the command line after the word.
    static func usage(_ line: String) -> String? {
        for prefix in ["usage: ", "USAGE: "] where line.hasPrefix(prefix) {
            return String(line.dropFirst(prefix.count))
        }
        return nil
    }

    /// `Options:`, `Subcommands (each takes --help):`, `OVERVIEW: text` → (heading, text after it).
    static func heading(_ line: String) -> (String, String)? {
        if line.hasSuffix(":"), line.count < 60, !line.dropLast().contains(":") {
            let title = String(line.dropLast())
            return (title.allSatisfy { $0.isUppercase || $0 == " " } ? title.capitalized : title, "")
        }
        if let colon = line.firstIndex(of: ":") {
            let word = line[..<colon]
            if !word.isEmpty, word.allSatisfy({ $0.isUppercase || $0 == " " }) {
                return (word.capitalized, line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            }
        }
        return nil
    }

    /// `--log FILE            description` (two spaces or more before the description).
    static func option(_ body: String) -> Option? {
        let term: String, description: String
        if let gap = body.range(of: "  ") {
            term = String(body[..<gap.lowerBound])
            description = body[gap.upperBound...].trimmingCharacters(in: .whitespaces)
        } else {
            term = body
            description = ""
        }
        var names: [String] = []
        var value: String?
        for spelling in term.components(separatedBy: ", ") {
            let words = spelling.split(separator: " ", maxSplits: 1).map(String.init)
            guard let name = words.first, name.hasPrefix("-"),
                  name.dropFirst(name.hasPrefix("--") ? 2 : 1).allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) else { return nil }
            names.append(name)
            if words.count > 1 { value = words[1] }
        }
        return names.isEmpty ? nil : Option(names: names, value: value, description: description)
    }
}
