import Foundation
import KosmoJournal
import KosmoCommandLine
import LuaHost
import Replicate
import ReplicateLua
import ReplicateSim

/// Gives a VM its `replicate` table as the command line asks: settings from the config file,
/// the environment and the flags; the simulator in-process for `--sim`; a terminal approver.
enum ReplicateSetup {
    struct Failure: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    /// In `exec` and `mcp` the spend guard is on unless a flag or the config file says otherwise.
    static let agentPredictionLimit = 20

    /// Resolves settings, starting the in-process simulator for `--sim` (which then needs no token).
    static func settings(flags: ReplicateFlags, simulatorOptions: SimulatorOptions = SimulatorOptions()) throws(Failure) -> ReplicateSettings {
        var settings: ReplicateSettings
        do {
            settings = try ReplicateSettings.resolve(flags: flags)
        } catch {
            throw Failure(message: error.message)
        }
        for warning in settings.warnings { StandardError.report("warning: " + warning) }
        if settings.simulate {
            let simulator = try startSimulator(simulatorOptions)
            settings.baseURL = simulator.baseURL
            // The simulator accepts any token; a real one must not travel even to loopback.
            settings.token = "kosmo-sim"
            settings.tokenSource = "--sim"
        }
        return settings
    }

    /// Installs `replicate` into `vm` for the `lua`-style command and the REPL. With `replicate`
    /// flags on the command line the settings are resolved now, so a bad flag stops the run
    /// before it starts; without, on the first call (see `SessionSource`): most of the cost of
    /// `kosmo-lua -e ''` was resolving settings a script may never use.
    /// With `log`, the session's client reports its waits there and every call is logged.
    /// `script` is what a journal (`--journal`) belongs to.
    /// Returns where the table gets its session, for what the run left running at its end.
    @discardableResult
    static func install(in vm: LuaVM, flags: ReplicateFlags, sandboxed: Bool, log: RunLogWriter? = nil,
                        script: ScriptSource? = nil) throws(Failure) -> SessionSource {
        func session(_ settings: ReplicateSettings) -> ReplicateSession {
            var settings = settings
            settings.script = script
            settings.memoryLimit = vm.limits.memoryBytes
            let made = ReplicateSession(settings: settings, client: log.map { ReplicateClient(configuration: $0.configuration(settings.clientConfiguration)) },
                                        approver: TerminalApprover(), sandboxed: sandboxed,
                                        maxRequestsInFlight: sandboxed ? 64 : nil,
                                        progress: ProgressLine.forStandardError(quiet: settings.quiet))
            log?.attach(made)
            return made
        }
        let source = flags.entries.isEmpty
            ? SessionSource(sandboxed: sandboxed) { session(try settings(flags: flags)) }
            : SessionSource(session(try settings(flags: flags)))
        do {
            try ReplicateLibrary.installLazily(in: vm, session: source)
        } catch {
            throw Failure(message: "cannot set up the replicate table: \(error.message)")
        }
        return source
    }

    /// The simulator for `--sim`, listening on an ephemeral loopback port until the process exits.
    static func startSimulator(_ options: SimulatorOptions) throws(Failure) -> Simulator {
        let simulator = Simulator(options: options)
        let started = DispatchSemaphore(value: 0)
        let failure = FailureBox()
        Task.detached {
            do { try await simulator.start() } catch { failure.message = "cannot start the simulator: \(error)" }
            started.signal()
        }
        started.wait()
        if let message = failure.message { throw Failure(message: message) }
        return simulator
    }
}

/// Carries a start-up failure out of the detached task.
private final class FailureBox: @unchecked Sendable {
    var message: String?
}
