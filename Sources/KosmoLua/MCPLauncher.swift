import Foundation

/// `kosmo-lua mcp …`: replaces this process with `kosmo-lua-mcp …` (installed beside
/// `kosmo-lua`). The MCP server is its own executable so the MCP package, and the libcurl it
/// brings through FoundationNetworking, never load when `kosmo-lua script.lua` starts.
enum MCPLauncher {
    static let serverName = "kosmo-lua-mcp"

    static func main(_ arguments: [String]) -> Int32 {
        let own = ownExecutable()
        let server = own.deletingLastPathComponent().appendingPathComponent(serverName).path
        guard FileManager.default.isExecutableFile(atPath: server) else {
            StandardError.report("the MCP server (\(serverName)) is not installed beside \(own.path); build it with 'swift build --product \(serverName)' (or 'make build') and keep the two executables together")
            return 1
        }
        // The server runs each execution with this very kosmo-lua.
        setenv("KOSMO_LUA_EXECUTABLE", own.path, 1)
        fflush(nil)
        let argv = ([server] + arguments).map { strdup($0) } + [nil]
        execv(server, argv)
        StandardError.report("cannot start \(server): \(String(cString: strerror(errno)))")
        return 1
    }

    /// This executable's path, links resolved.
    static func ownExecutable() -> URL {
        URL(fileURLWithPath: Bundle.main.executablePath ?? CommandLine.arguments[0]).resolvingSymlinksInPath()
    }
}
