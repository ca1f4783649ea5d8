// swift-tools-version:6.1
// kosmo-lua: a Swift host for Lua 5.4 with Replicate's HTTP API as a Lua table.
// Layout and dependency direction: docs/architecture.md (KosmoLua → AgentMode → KosmoCommandLine
// → ReplicateLua → {LuaHost, Replicate, KosmoJournal} → KosmoCore; ReplicateSim stands alone).

import PackageDescription

#if os(Linux)
let luaPkgConfig: String? = nil
#else
let luaPkgConfig: String? = "lua5.4"
#endif

/// SwiftNIO's products by name: most targets here take several.
func nio(_ names: String...) -> [Target.Dependency] { names.map { .product(name: $0, package: "swift-nio") } }

let package = Package(
    name: "kosmo-lua",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "kosmo-lua", targets: ["KosmoLua"]),
        // The MCP server, its own executable so the MCP package stays out of kosmo-lua's start-up.
        .executable(name: "kosmo-lua-mcp", targets: ["KosmoMCP"]),
        .library(name: "LuaHost", targets: ["LuaHost"]),
        .library(name: "Replicate", targets: ["Replicate"]),
        .library(name: "ReplicateLua", targets: ["ReplicateLua"]),
        .library(name: "ReplicateSim", targets: ["ReplicateSim"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", from: "0.12.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // Lua 5.4: Debian's liblua5.4-dev, whose headers shim.h finds under <lua5.4/…>; elsewhere
        // through pkg-config. Not through pkg-config on Linux: its `-L/usr/lib/<arch>` would come
        // first on every link line, ahead of .build/static-c++, and the release build would
        // take the shared libsqlite3 over the static one (see KosmoLua's link options below).
        .systemLibrary(
            name: "CLua",
            pkgConfig: luaPkgConfig,
            providers: [.apt(["liblua5.4-dev"]), .brew(["lua"])]
        ),
        // BSD libedit for the REPL's line editing, history and completion: its header only;
        // the library is loaded with dlopen when the REPL starts (see shim.h), not linked.
        .systemLibrary(
            name: "CLibEdit",
            providers: [.apt(["libedit-dev"]), .brew(["libedit"])]
        ),
        // libcurl's header, for requests sent in place; the library is loaded with dlopen on
        // first use, not linked (see shim.h).
        .systemLibrary(
            name: "CCurl",
            providers: [.apt(["libcurl4-openssl-dev"]), .brew(["curl"])]
        ),
        // The only C we write: trampolines that raise after Swift returns, the limited
        // allocator, the sticky count hook, the watchdog, yields with continuations.
        .target(name: "CLuaBridge", dependencies: ["CLua"]),
        // The commit the binary was built from, for `--version` (the Makefile writes it).
        .target(name: "CBuildInfo"),
        // Turns lua/*.lua into Swift string constants so the binary carries its Lua modules.
        .executableTarget(name: "EmbedLuaTool", path: "Sources/EmbedLuaTool"),
        .plugin(name: "EmbedLua", capability: .buildTool(), dependencies: ["EmbedLuaTool"]),
        // What the Lua host and the API client share and neither owns, Foundation only:
        // `JSONValue` and the one set of JSON rules (escapes, UTF-8, numbers, error texts)
        // every reader and writer uses, and the stop check a call made in place asks.
        .target(name: "KosmoCore"),
        .target(
            name: "LuaHost",
            dependencies: ["KosmoCore", "CLuaBridge", "CLua"],
            plugins: ["EmbedLua"]
        ),
        .target(
            name: "Replicate",
            dependencies: ["KosmoCore", "CCurl", .product(name: "AsyncHTTPClient", package: "async-http-client"),
                           .product(name: "Crypto", package: "swift-crypto"), .product(name: "Logging", package: "swift-log")]
                + nio("NIOCore", "NIOHTTP1", "NIOFoundationCompat")
        ),
        .target(
            name: "ReplicateSim",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird"), .product(name: "AsyncHTTPClient", package: "async-http-client"),
                           .product(name: "Crypto", package: "swift-crypto"), .product(name: "Logging", package: "swift-log")]
                + nio("NIOCore", "NIOPosix", "NIOConcurrencyHelpers", "NIOFoundationCompat")
        ),
        // The journal of a run's creates: a SQLite database (the system's, through GRDB), opened
        // only when a run asks for one.
        .target(
            name: "KosmoJournal",
            dependencies: ["KosmoCore", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "ReplicateLua",
            dependencies: ["LuaHost", "Replicate", "KosmoJournal", "CLua", "CLuaBridge"]
        ),
        // What the command line gives a `replicate` table: settings from the TOML config file,
        // the environment and the flags; the terminal approver; the progress line.
        .target(
            name: "KosmoCommandLine",
            dependencies: ["ReplicateLua", "Replicate", .product(name: "TOMLKit", package: "TOMLKit")]
        ),
        // Agent code mode shared by `exec`, `mcp` and discovery: the envelope, options, the
        // approval socket protocol, search and schemas, LuaLS stubs.
        .target(name: "AgentMode", dependencies: ["LuaHost", "Replicate", "ReplicateLua", "KosmoCommandLine"]),
        .executableTarget(
            name: "KosmoLua",
            dependencies: [
                "LuaHost", "ReplicateLua", "KosmoCommandLine", "Replicate", "ReplicateSim", "AgentMode", "CLibEdit", "CLua",
                "CBuildInfo", "KosmoJournal",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            // Start-up (the goal: at most twice `lua5.4 -e ''`; see Benchmarks/notes.md). Link
            // options for the release build, each worth a fraction of a millisecond or more:
            // - no exported symbols: the Swift runtime's start-up `dladdr` walks that table, and
            //   nothing loads symbols from kosmo-lua (Lua C modules bind to liblua5.4);
            // - not position-independent: the loader would otherwise write 130,000 relocations
            //   into the Swift metadata, copying every page they touch. The cost is no address
            //   randomisation for this executable's own code (shared libraries, heap and stack
            //   keep it), as with Go's default binaries; `make build PIE=1` keeps PIE;
            // - libstdc++ (which the Swift runtime needs) and SQLite (the journal's, through GRDB)
            //   linked in: loading the shared libstdc++ cost 0.4 ms, libsqlite3 0.2 ms. `make
            //   build` links the C++ compiler's libstdc++.a and the system's libsqlite3.a into
            //   .build/static-c++, searched before the system's directories; without them the
            //   linker takes the shared libraries as before.
            linkerSettings: [.unsafeFlags(["-Xlinker", "--no-export-dynamic"] + (Context.environment["PIE"] == "1" ? [] : [
                "-Xclang-linker", "-no-pie", "-L\(Context.packageDirectory)/.build/static-c++",
            ]), .when(platforms: [.linux], configuration: .release))]
        ),
        .executableTarget(
            name: "KosmoMCP",
            dependencies: [
                "AgentMode", "LuaHost", "ReplicateLua", "KosmoCommandLine", "Replicate", "ReplicateSim",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Logging", package: "swift-log"),
                // The stateless revision's approval state is signed (HMAC-SHA256).
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .executableTarget(name: "KosmoBench", dependencies: ["LuaHost", "CLua", "CLuaBridge"], path: "Benchmarks/KosmoBench"),
        // Recorded API traffic, one copy for the client's and the simulator's tests.
        .target(name: "RecordedFixtures", path: "Tests/RecordedFixtures", resources: [.copy("recorded")]),
        // What several test targets share (the seeded generator of the property tests).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "LuaHostTests", dependencies: ["LuaHost", "KosmoCore", "CLua", "TestSupport"]),
        .testTarget(
            name: "ReplicateTests",
            dependencies: [
                "Replicate", "RecordedFixtures", "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "ReplicateSimTests",
            dependencies: [
                "ReplicateSim", "RecordedFixtures", .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"), .product(name: "Crypto", package: "swift-crypto"),
            ] + nio("NIOCore", "NIOHTTP1", "NIOFoundationCompat"),
            resources: [.copy("Interop")]
        ),
        .testTarget(name: "ReplicateLuaTests", dependencies: ["ReplicateLua", "KosmoCommandLine", "LuaHost", "Replicate", "ReplicateSim"]),
        .testTarget(name: "KosmoLuaTests", dependencies: ["LuaHost", "AgentMode", "ReplicateLua", "Replicate"]),
    ]
)

// The libFuzzer targets (Fuzz/README.md): in the package graph only when `make fuzz` asks for
// them (KOSMO_FUZZ=1, with the instrumentation and libFuzzer's library), so a plain
// `swift build` never sees them.
if Context.environment["KOSMO_FUZZ"] == "1" {
    package.targets += [
        .target(name: "CFuzzDriver", path: "Fuzz/Driver"),
        .executableTarget(name: "FuzzJSONRoundTrip", dependencies: ["CFuzzDriver", "LuaHost", "CLua", "CLuaBridge"], path: "Fuzz/JSONRoundTrip"),
        .executableTarget(name: "FuzzSSEParser", dependencies: ["CFuzzDriver", "Replicate"], path: "Fuzz/SSEParser"),
    ]
}
