import AgentMode
import ArgumentParser
import Foundation
import KosmoCommandLine
import Replicate
import ReplicateLua

/// `kosmo-lua docs [NAME] [--json] [--stubs]`: the functions of the `replicate` table, or a
/// model's interface (`owner/name[:version]`, read from the API; `--sim` for the simulator's).
struct DocsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kosmo-lua docs",
        abstract: "Describe the functions of the replicate table, or a model's inputs and output.")

    @Argument(help: "A function (get_model, replicate_get_model, run, …) or a model (owner/name, owner/name:version); none lists the functions.")
    var name: String?

    @Flag(help: "Print JSON.")
    var json = false

    @Flag(help: "Print LuaLS type stubs: for the replicate table (lua/types/replicate.lua), or with a model for its input table and output.")
    var stubs = false

    @Flag(help: "Read models from the built-in Replicate simulator (offline, no token).")
    var sim = false

    func run() async throws {
        if let name, ModelDocs.namesModel(name) {
            try await describeModel(name)
            return
        }
        if stubs {
            if let name {
                throw Refusal.with("--stubs takes a model (owner/name), got '\(name)'; kosmo-lua docs --stubs alone prints the stubs of the replicate table")
            }
            print(LuaTypeStubs.generate(), terminator: "")
            return
        }
        guard let name else {
            if json {
                print(ExecEnvelope.jsonText(of: .array(Discovery.functions.map(Discovery.json))))
            } else {
                print(Documentation.helpText(for: nil))
            }
            return
        }
        guard let function = Discovery.function(named: name) else {
            throw Refusal.with(Discovery.unknown(name))
        }
        print(json ? ExecEnvelope.jsonText(of: Discovery.json(for: function)) : function.helpText)
    }

    /// A model's interface: for a person, as JSON, or as type stubs.
    private func describeModel(_ reference: String) async throws {
        guard !(json && stubs) else { throw Refusal.with("--json and --stubs print different things; give one of them") }
        var flags = ReplicateFlags()
        if sim { flags.add("sim", value: nil) }
        let description: ModelDescription
        do {
            description = try await ModelDocs.describe(reference, flags: flags)
        } catch {
            throw Refusal.with(error.message)
        }
        if stubs {
            print(ModelTypeStubs.generate(description), terminator: "")
        } else if json {
            print(ExecEnvelope.jsonText(of: description.json))
        } else {
            print(description.text)
        }
    }
}

/// `kosmo-lua schema NAME`: the JSON Schema of an API function's argument table.
struct SchemaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kosmo-lua schema",
        abstract: "Print the JSON Schema of a replicate function's argument table.")

    @Argument(help: "An API function (get_model, create_prediction, …).")
    var name: String

    func run() async throws {
        guard let function = Discovery.function(named: name) else {
            throw Refusal.with(Discovery.unknown(name))
        }
        guard let schema = Discovery.jsonSchema(for: function) else {
            throw Refusal.with("replicate.\(function.name) is a helper with positional arguments, \(function.signature), not an argument table; see kosmo-lua docs \(function.name)")
        }
        print(PrettyJSON.text(schema))
    }
}

/// `kosmo-lua search QUERY…`: functions whose name, summary or arguments match.
struct SearchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kosmo-lua search",
        abstract: "Find replicate functions by what they do.")

    @Argument(help: "Words to look for, e.g. cancel prediction.")
    var query: [String]

    @Option(help: "Most results to show.")
    var limit = 10

    @Flag(help: "Print JSON.")
    var json = false

    func validate() throws {
        guard limit > 0 else { throw ValidationError("--limit must be at least 1, got \(limit)") }
    }

    func run() async throws {
        let text = query.joined(separator: " ")
        let matches = Discovery.search(text, limit: limit)
        if json {
            print(ExecEnvelope.jsonText(of: .array(matches.map { match in
                .object(["name": .string(match.function.name), "kind": .string(match.function.kind.rawValue),
                         "access": .string(match.function.accessName), "summary": .string(match.function.summary),
                         "signature": .string(match.function.signature)])
            })))
            return
        }
        guard !matches.isEmpty else {
            throw Refusal.with("no replicate function matches '\(text)'; try fewer or other words, or kosmo-lua docs for the list")
        }
        for match in matches { print(Discovery.line(for: match.function)) }
    }
}

/// Indented JSON with sorted keys, for people.
enum PrettyJSON {
    static func text(_ value: JSONValue, indent: String = "") -> String {
        let inner = indent + "  "
        switch value {
        case .array(let items) where !items.isEmpty:
            return "[\n" + items.map { inner + text($0, indent: inner) }.joined(separator: ",\n") + "\n" + indent + "]"
        case .object(let members) where !members.isEmpty:
            return "{\n" + members.keys.sorted().map { key in
                inner + ExecEnvelope.jsonText(of: .string(key)) + ": " + text(members[key] ?? .null, indent: inner)
            }.joined(separator: ",\n") + "\n" + indent + "}"
        default:
            return ExecEnvelope.jsonText(of: value)
        }
    }
}

/// A request that parsed but cannot be answered: the message on standard error, exit status 1
/// (ArgumentParser's usage errors keep its own status and usage text).
enum Refusal {
    static func with(_ message: String) -> ExitCode {
        StandardError.report(message)
        return ExitCode(1)
    }
}
