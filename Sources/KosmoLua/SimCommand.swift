import ArgumentParser
import Foundation
import ReplicateLua
import ReplicateSim

/// `kosmo-lua sim`: serves the Replicate API simulator until SIGINT/SIGTERM. The first line
/// of stdout is the base URL (`http://127.0.0.1:PORT/v1`), so scripts can read it and go.
struct SimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sim",
        abstract: "Serve a simulator of Replicate's HTTP API on loopback.")

    @Option(help: "Interface to bind (loopback by default; another address lets other machines use the simulator).") var host: String = "127.0.0.1"
    @Option(help: "Port to bind (0 picks a free port; at most 65535).") var port: Int = 0
    @Option(help: "Accept only this bearer token (default: any non-empty token).") var token: String?
    @Option(help: "Run model timings this many times faster (0.001 to 1000).") var speed: Double = 1
    @Option(help: "Faults to inject, e.g. 429:0.1,503:0.05,reset:0.02,latency:20ms,malformed:0.01; for creates, cut:0.2,cut-delay:2s (the create made, its answer held back, then the connection cut)") var faults: String?
    @Option(help: "Seed for fault injection.") var seed: UInt64 = 0
    @Option(name: .customLong("page-size"), help: "Items per page on paginated lists (1 to 1000).") var pageSize: Int = 100
    @Option(name: .customLong("creates-per-minute"), help: "Prediction creates allowed per minute (0: unlimited; at most 1000000).") var createsPerMinute: Int = 600
    @Option(name: .customLong("requests-per-minute"), help: "Other requests allowed per minute (0: unlimited; at most 1000000).") var requestsPerMinute: Int = 3000
    @Option(name: .customLong("rate-window"), help: "Seconds the per-minute limits count over (1 to 3600; default 60, the service's minute; shorter for quick tests).")
    var rateWindow: Double = 60
    @Option(name: .customLong("rate-limit-model"),
            help: "How the per-minute limits are counted: fixed (one-minute windows from the first request, as before) or sliding (the last minute at any moment).")
    var rateLimitModel: String = "fixed"
    @Option(name: .customLong("expire-after"),
            help: "Delete a prediction's data this many seconds after it finishes, as the service does after an hour: input, output and logs emptied, data_removed true, output files 404 (1 to 86400; default: keep).")
    var expireAfter: Double?

    /// Entry point for the CLI's dispatcher: `await SimCommand.main(arguments: ["--port", "8080"])`.
    /// Why a labelled entry point: `SimCommand.main(args)` with a `[String]` resolves to
    /// ArgumentParser's synchronous `ParsableCommand.main(_:)`, which refuses async commands.
    static func main(arguments: [String]) async {
        do {
            var command = try parseAsRoot(arguments)
            if let sim = command as? SimCommand {
                try await sim.run()
            } else {
                try command.run()  // --help and friends
            }
        } catch {
            exit(withError: error)
        }
    }

    /// The same entry point unlabelled, for async callers (`await SimCommand.main(args)` inside an
    /// async function). In top-level `main.swift` code Swift still picks ArgumentParser's
    /// synchronous overload, so prefer `main(arguments:)` there.
    static func main(_ arguments: [String]) async {
        await main(arguments: arguments)
    }

    /// The ranges of the numeric options (ArgumentParser has read them as numbers already).
    static let portRange = BoundedNumber("a port number (0 picks a free port)", 0...65_535, whole: true)
    static let speedRange = BoundedNumber("a positive speed-up factor", 0.001...1_000)
    static let pageSizeRange = BoundedNumber("a whole number of items per page", 1...1_000, whole: true)
    static let perMinuteRange = BoundedNumber("a whole number of requests per minute (0: unlimited)", 0...1_000_000, whole: true)
    static let expireRange = BoundedNumber("a number of seconds", 1...86_400)

    func validate() throws {
        do {
            _ = try Self.portRange.check(Double(port), name: "--port")
            _ = try Self.speedRange.check(speed, name: "--speed")
            _ = try Self.pageSizeRange.check(Double(pageSize), name: "--page-size")
            _ = try Self.perMinuteRange.check(Double(createsPerMinute), name: "--creates-per-minute")
            _ = try Self.perMinuteRange.check(Double(requestsPerMinute), name: "--requests-per-minute")
            _ = try BoundedNumber.rateWindow.check(rateWindow, name: "--rate-window")
            if let expireAfter { _ = try Self.expireRange.check(expireAfter, name: "--expire-after") }
        } catch {
            throw ValidationError(error.message)
        }
        if let faults {
            do { _ = try FaultSpec(parsing: faults) } catch { throw ValidationError("--faults: \(error)") }
        }
        guard RateLimitModel(rawValue: rateLimitModel) != nil else {
            throw ValidationError("--rate-limit-model must be one of \(RateLimitModel.allCases.map(\.rawValue).joined(separator: ", ")), got '\(rateLimitModel)'")
        }
    }

    func run() async throws {
        var options = SimulatorOptions()
        options.host = host
        options.port = port
        options.token = token
        options.speed = speed
        options.seed = seed
        options.pageSize = pageSize
        options.createsPerMinute = createsPerMinute
        options.otherRequestsPerMinute = requestsPerMinute
        options.rateWindow = rateWindow
        options.rateLimitModel = RateLimitModel(rawValue: rateLimitModel) ?? .fixed
        options.expireAfter = expireAfter
        if let faults { options.faults = try FaultSpec(parsing: faults) }

        let sim = Simulator(options: options)
        try await sim.start()
        // Written unbuffered: a parent reading our first line must not wait for a buffer flush.
        FileHandle.standardOutput.write(Data((sim.baseURL.absoluteString + "\n").utf8))
        // The URL printed is the loopback one a client on this machine uses; say when more
        // than this machine can reach the simulator (it takes any token).
        if !["127.0.0.1", "localhost", "::1"].contains(host.lowercased()) {
            StandardError.report("warning: the simulator listens on \(host), not only on loopback: anyone who can reach this machine on port \(sim.baseURL.port ?? port) can use it")
        }

        await Self.waitForTermination()
        await sim.shutdown()
    }

    /// Returns on SIGINT or SIGTERM.
    static func waitForTermination() async {
        let (signals, continuation) = AsyncStream<Int32>.makeStream()
        var sources: [any DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { continuation.yield(sig) }
            source.resume()
            sources.append(source)
        }
        for await _ in signals { break }
        for s in sources { s.cancel() }
    }
}
