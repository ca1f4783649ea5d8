import Foundation
import Replicate
import ReplicateLua

/// Names a per-function policy may use: the 37 functions, their `replicate_` aliases and the
/// helpers that call them.
enum FunctionNames {
    static let helpers = ["run", "stream", "wait", "upload", "download", "paginate"]

    static func canonical(_ name: String) -> String? {
        if helpers.contains(name) { return name }
        return Catalog.operation(named: name)?.name
    }

    static func parseList(_ text: String, source: String) throws(SettingsError) -> [String] {
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !names.isEmpty else { throw SettingsError("\(source) needs a comma-separated list of function names") }
        return try names.map { name throws(SettingsError) in try require(name, source: source) }
    }

    static func require(_ name: String, source: String) throws(SettingsError) -> String {
        if let canonical = canonical(name) { return canonical }
        var message = "\(source): '\(name)' is not a replicate function"
        if let near = Catalog.closest(to: name, among: Catalog.operations.map(\.name) + helpers) { message += "; did you mean '\(near)'?" }
        throw SettingsError(message)
    }
}
