import AgentMode
import Foundation
import KosmoCommandLine
import ReplicateLua
import ReplicateSim

// `kosmo-lua-mcp`: the MCP server behind `kosmo-lua mcp`, a separate executable so the MCP
// package (and the libcurl it brings through FoundationNetworking) never loads when
// `kosmo-lua script.lua` starts. `kosmo-lua mcp` execs it with KOSMO_LUA_EXECUTABLE set.

func fail(_ message: String, status: Int32) -> Never {
    FileHandle.standardError.write(Data("kosmo-lua: \(message)\n".utf8))
    exit(status)
}

let options: AgentOptions
do {
    options = try AgentOptions.parse(Array(CommandLine.arguments.dropFirst()), command: .mcp)
} catch {
    fail(error.message + " (kosmo-lua mcp --help)", status: 2)
}
if options.showHelp {
    print(AgentOptions.mcpUsage)
    exit(0)
}

var settings: ReplicateSettings
do {
    settings = try ReplicateSettings.resolve(flags: options.replicateFlags)
} catch {
    fail(error.message, status: 2)
}
if options.simulate { AgentOptions.applySimulatorDefaults(to: &settings) }
for warning in settings.warnings { FileHandle.standardError.write(Data("kosmo-lua: warning: \(warning)\n".utf8)) }

/// The `kosmo-lua` that runs executions: the one that started this server, else the one beside it.
func kosmoExecutable() -> String? {
    if let path = ProcessInfo.processInfo.environment["KOSMO_LUA_EXECUTABLE"], FileManager.default.isExecutableFile(atPath: path) {
        return path
    }
    let own = URL(fileURLWithPath: Bundle.main.executablePath ?? CommandLine.arguments[0]).resolvingSymlinksInPath()
    let beside = own.deletingLastPathComponent().appendingPathComponent("kosmo-lua").path
    return FileManager.default.isExecutableFile(atPath: beside) ? beside : nil
}

guard let executable = kosmoExecutable() else {
    fail("kosmo-lua-mcp runs each execution with kosmo-lua, which is not beside it; start it as 'kosmo-lua mcp' or set KOSMO_LUA_EXECUTABLE", status: 2)
}

var simulatorURL: URL?
if options.simulate {
    // One simulator for the session: state (predictions, files, models) persists between calls.
    // Its request log (for tests of the simulator itself) is kept short: a long session would
    // otherwise hold up to 100,000 records nobody reads.
    var simulatorOptions = SimulatorOptions()
    simulatorOptions.requestLogLimit = 1_000
    let simulator = Simulator(options: simulatorOptions)
    do {
        try await simulator.start()
    } catch {
        fail("cannot start the simulator: \(error)", status: 1)
    }
    simulatorURL = simulator.baseURL
}

do {
    try await KosmoServer(options: options, settings: settings, executable: executable, simulatorURL: simulatorURL).run()
} catch {
    RunningChildren.shared.killAll()
    fail("the MCP server stopped: \(error)", status: 1)
}
exit(0)
