import Foundation
import PackagePlugin

/// Compiles the repository's `lua/*.lua` modules into the target as Swift string constants,
/// so `require "pretty"` works from a single binary with no files beside it.
@main
struct EmbedLua: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let luaDir = context.package.directoryURL.appending(path: "lua")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: luaDir.path())) ?? []
        let inputs = names.filter { $0.hasSuffix(".lua") }.sorted().map { luaDir.appending(path: $0) }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedLuaModules.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(inputs.count) Lua modules",
                executable: try context.tool(named: "EmbedLuaTool").url,
                arguments: [output.path()] + inputs.map { $0.path() },
                inputFiles: inputs,
                outputFiles: [output]
            )
        ]
    }
}
