import AgentMode
import Foundation
import KosmoJournal
import KosmoCommandLine
import LuaHost
import Replicate
import ReplicateLua

/// `kosmo-lua exec [--json] [options] [FILE | -] [args]`: runs code in the sandbox profile under
/// the permission policy, for agents. With `--json` it prints exactly one envelope whatever
/// happens (docs/agent-mode.md); exit status 0 success, 1 script error, 2 bad usage.
enum ExecCommand {
    static func main(_ arguments: [String]) -> Int32 {
        let wantsJSON = AgentOptions.mentionsJSON(arguments)
        func usageFailure(_ message: String, kind: ErrorKind = .usage) -> Int32 {
            if wantsJSON {
                emit(ExecEnvelope.failure(kind: kind, message: message))
            } else {
                StandardError.report(message)
                StandardError.write("usage: kosmo-lua exec [--json] [options] [FILE | -] [args]  (kosmo-lua exec --help)\n")
            }
            return 2
        }
        let options: AgentOptions
        do {
            options = try AgentOptions.parse(arguments, command: .exec)
        } catch {
            return usageFailure(error.message)
        }
        if options.showHelp {
            print(AgentOptions.execUsage)
            return 0
        }
        // A child of the MCP server (it has the server's approval socket) ends with the server.
        if options.approvalFD != nil { ParentWatch.start() }
        if let id = options.serveSession {
            guard options.json, options.file == nil else { return usageFailure("'--serve' reads snippets from standard input and needs --json, without a FILE") }
            let settings: ReplicateSettings
            do { settings = try resolveSettings(options) } catch { return usageFailure(error.message, kind: .config) }
            return ExecRun(options: options, settings: settings).serve(session: id)
        }
        let source: (bytes: [UInt8], chunkName: String)
        switch readSource(options) {
        case .success(let read): source = read
        case .failure(let failure): return usageFailure(failure.message)
        }
        let settings: ReplicateSettings
        do {
            settings = try resolveSettings(options)
        } catch {
            return usageFailure(error.message, kind: .config)
        }
        return ExecRun(options: options, settings: settings).run(source.bytes, chunkName: source.chunkName)
    }

    struct Failure: Error { let message: String }

    /// The code to run: FILE, or standard input for `-` or no FILE (unless it is a terminal).
    static func readSource(_ options: AgentOptions) -> Result<([UInt8], String), Failure> {
        if let file = options.file, file != "-" {
            return ScriptFile.read(file).map { ($0, "@" + file) }.mapError { Failure(message: $0.message) }
        }
        if options.file == nil, isatty(0) != 0 {
            return .failure(Failure(message: "exec needs code: a FILE, or '-' (or a pipe) for standard input"))
        }
        return .success((FileDescriptorIO.readAll(0), "=stdin"))
    }

    /// The settings for this run: config file, environment, flags; the simulator for `--sim`
    /// (or the MCP server's, `--sim-url`); the agent spend guard unless something set one.
    static func resolveSettings(_ options: AgentOptions) throws(Failure) -> ReplicateSettings {
        var settings: ReplicateSettings
        if let url = options.simulatorURL {
            do {
                settings = try ReplicateSettings.resolve(flags: options.replicateFlags)
            } catch {
                throw Failure(message: error.message)
            }
            for warning in settings.warnings { StandardError.report("warning: " + warning) }
            settings.baseURL = url
            // The simulator accepts any token; a real one must not travel even to loopback.
            settings.token = "kosmo-sim"
            settings.tokenSource = "--sim"
        } else {
            do {
                settings = try ReplicateSetup.settings(flags: options.replicateFlags)
            } catch {
                throw Failure(message: error.message)
            }
        }
        if settings.maxPredictions == nil { settings.maxPredictions = ReplicateSetup.agentPredictionLimit }
        // What a failed or stopped run created and left running is canceled, unless asked to keep it.
        settings.cancelOnExit = !settings.keepRunning
        // An envelope is read by a program (an agent): refusals say to ask its person, not which flag to pass.
        if options.json { settings.audience = .agent }
        if options.simulatorURL != nil || settings.simulate { AgentOptions.applySimulatorDefaults(to: &settings) }
        return settings
    }

    /// Writes one envelope line to standard output.
    static func emit(_ envelope: ExecEnvelope) {
        FileDescriptorIO.writeAll(1, Array((envelope.jsonText() + "\n").utf8))
    }
}

/// One execution: the VM, the `replicate` table, the run, and its report.
struct ExecRun {
    let options: AgentOptions
    let settings: ReplicateSettings

    func run(_ code: [UInt8], chunkName: String) -> Int32 {
        let limits = options.limits
        let json = options.json
        let output = OutputCapture(keep: json, passthrough: !json, limit: limits.outputBytes)
        let vm: LuaVM
        do {
            vm = try LuaVM(profile: .sandbox, limits: limits, output: output)
        } catch {
            return fail(ExecEnvelope.Failure(kind: .runtime, message: "cannot start Lua: \(error)"), vm: nil)
        }
        armWatchdog(vm, limits: limits)
        var settings = settings
        // A journal (`--journal`) belongs to the snippet it was written by.
        settings.script = .text(name: chunkName, text: String(decoding: code, as: UTF8.self))
        let session: ReplicateSession
        do {
            session = try installSession(settings, in: vm, limits: limits)
        } catch {
            return fail(ExecEnvelope.Failure(kind: .runtime, message: "cannot set up the replicate table: \(error.message)"), vm: vm)
        }
        settleWhenTheWatchdogFires(session, limits: limits)

        let snippet = execute(code, chunkName: chunkName, arguments: options.scriptArguments, limits: limits, vm: vm, session: session)
        // Calls still in flight are recorded as such before closing the VM cancels them; then
        // finalizers left pending run, under the run's limits and with host functions refused,
        // so nothing the script left behind acts after the envelope is written.
        session.beginEnding()
        vm.close()
        let envelope = self.envelope(snippet, vm: vm, session: session, output: output)
        let failure = snippet.failure, result = snippet.result
        if json {
            ExecCommand.emit(envelope)
        } else if let failure {
            StandardError.report(failure.traceback.map { failure.message + "\n" + $0 } ?? failure.message)
        } else if result != .null {
            print(ExecEnvelope.jsonText(of: result))
        }
        return failure == nil ? 0 : 1
    }

    /// What one snippet did, before it becomes an envelope.
    struct Snippet {
        var failure: ExecEnvelope.Failure?
        var result: JSONValue = .null
        var resultTruncated = false
        var resultError: String?
        /// Whether the snippet returned (even a value that could not be sent back): what it
        /// started then runs on by its choice; one that did not return is cleaned up after.
        var returned = false
        let started: DispatchTime
    }

    /// Runs one snippet in `vm` under `limits` (armed when the chunk loads): the one run path
    /// of a one-shot `exec` and of each snippet a session's child (`--serve`) runs.
    func execute(_ code: [UInt8], chunkName: String, arguments: [String], limits: Limits, vm: LuaVM, session: ReplicateSession) -> Snippet {
        var snippet = Snippet(started: DispatchTime.now())
        Interrupts.arm(vm, on: [SIGINT, SIGTERM])
        defer {
            Interrupts.disarm()
            Interrupts.holdTermination()
        }
        do {
            let results = try vm.runForEnvelope(code, chunkName: chunkName, arguments: arguments,
                                                maxBytes: resultCap(limits))
            snippet.returned = true
            snippet.resultTruncated = results.truncated
            if let problem = results.problem {
                let prefix = "cannot return this value as JSON"
                snippet.resultError = results.problemIsLimit || problem.hasPrefix(prefix) ? problem : "\(prefix): \(problem)"
            } else {
                do { snippet.result = try ExecEnvelope.result(from: results.values) } catch { snippet.resultError = error.message }
            }
            if let resultError = snippet.resultError {
                snippet.failure = ExecEnvelope.Failure(kind: results.problemIsLimit ? .limit : .runtime,
                                                       message: Self.afterWork(resultError, calls: session.callLog.records.count, limit: results.problemIsLimit))
            }
        } catch let error as RunError {
            snippet.failure = ExecEnvelope.Failure(kind: ErrorKind(error), message: error.message, traceback: error.traceback)
        } catch {
            snippet.failure = ExecEnvelope.Failure(kind: .runtime, message: "\(error)")
        }
        return snippet
    }

    /// A snippet's envelope: its result, its output and calls, the VM's statistics. Every
    /// ending passes here (`endRun`): what the snippet created and left running is canceled
    /// when it did not return (an error, a limit, an interrupt, SIGTERM from the MCP server)
    /// and listed under `running` when it did or with --keep-running; calls still in flight
    /// are in `calls`.
    func envelope(_ snippet: Snippet, vm: LuaVM, session: ReplicateSession, output: OutputCapture) -> ExecEnvelope {
        let ending = session.endRun(failed: !snippet.returned)
        return ExecEnvelope(
            ok: snippet.failure == nil, result: snippet.result, resultTruncated: snippet.resultTruncated, resultError: snippet.resultError,
            output: output.text, outputTruncated: output.truncated, error: snippet.failure,
            calls: ending.calls, running: ending.running, usage: ending.usage, stats: stats(vm, since: snippet.started),
            permissionBypassed: session.permissionBypassed)
    }

    /// A result that could not be returned, said so that the work done is not missed: the
    /// snippet ran to its end and its calls took effect.
    static func afterWork(_ problem: String, calls: Int, limit: Bool = false) -> String {
        let done = calls == 0 ? "the snippet ran to its end" : "the snippet ran to its end and its \(calls == 1 ? "call" : "\(calls) calls") took effect (see calls)"
        let fix = limit ? "return less (a summary, or the part you need), or raise --memory"
                        : "return a value JSON can hold (tostring() a number such as math.huge, json.null for nothing)"
        return done + ", but its return value was not returned: " + problem + "; " + fix
    }

    /// The result's cap: the limit in an envelope; printed without `--json`, the whole value
    /// unless `--result-limit` was given.
    func resultCap(_ limits: Limits) -> Int {
        if !options.json, options.resultLimitBytes == nil { return Int.max / 4 }
        return limits.resultBytes ?? (64 << 10)
    }

    /// Under an MCP server: each create is told to the server as it answers, so the server can
    /// settle it if this process is ended before it settles it itself.
    func createdNotice() -> CreateObserver? {
        guard let fd = options.approvalFD else { return nil }
        return { created in ApprovalChannel.tell(created, fd: fd) }
    }

    /// Where waiting calls show their progress: the MCP server (through its socket), else
    /// without `--json` the terminal's progress line.
    func progressReporter() -> (any ProgressReporter)? {
        if let fd = options.progressFD { return ProgressChannelReporter(fd: fd) }
        return options.json ? nil : ProgressLine.forStandardError(quiet: settings.quiet)
    }

    /// Who answers `ask`: the MCP server (through its socket), else a terminal prompt, except
    /// with `--json`, whose caller is a program: then `ask` denies, telling it to ask its person.
    /// The sandboxed session of a run (a one-shot snippet, or a session's child) whose memory is
    /// capped by `limits`, its `replicate` table installed in `vm`.
    func installSession(_ settings: ReplicateSettings, in vm: LuaVM, limits: Limits) throws(RunError) -> ReplicateSession {
        var settings = settings
        settings.memoryLimit = limits.memoryBytes
        let session = ReplicateSession(settings: settings, approver: approver(), sandboxed: true,
                                       maxRequestsInFlight: 64, progress: progressReporter(), onCreate: createdNotice())
        try ReplicateLibrary.install(in: vm, session: session)
        return session
    }

    func approver() -> any Approver {
        if let fd = options.approvalFD { return SocketApprover(fd: fd) }
        if options.json { return NoApprover(reason: "exec --json does not prompt") }
        return TerminalApprover()
    }

    /// The watchdog ends the process when Lua is stuck in one C function past the deadline.
    /// With `--json` it writes a prepared envelope, so the caller still gets one.
    func armWatchdog(_ vm: LuaVM, limits: Limits) {
        guard let seconds = limits.timeoutSeconds else { return }
        let shown = seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
        let message = "time limit exceeded (\(shown) s): the script was stuck inside a C function, so the watchdog ended it"
        if options.json {
            let envelope = ExecEnvelope(
                ok: false,
                error: ExecEnvelope.Failure(kind: .limit, message: message + "; the output and calls of this run were lost with it"),
                stats: ExecEnvelope.Stats(ms: (seconds + Watchdog.graceSeconds) * 1000, peakMemoryBytes: vm.statistics.peakMemoryBytes, instructions: 0),
                permissionBypassed: settings.policy.force, session: options.serveSession)
            vm.watchdogMessage = envelope.jsonText() + "\n"
            vm.watchdogFileDescriptor = 1
        } else {
            vm.watchdogMessage = "kosmo-lua: " + message + "\n"
        }
    }

    /// When the watchdog ends the process, its envelope (or, without `--json`, its message)
    /// comes from here: the run ends as every run does (`endRun`, which cancels what it left
    /// running), so even a run stuck in a C function leaves nothing running unseen. Only the
    /// output is lost (the VM is not touched).
    func settleWhenTheWatchdogFires(_ session: ReplicateSession, limits: Limits) {
        guard let seconds = limits.timeoutSeconds else { return }
        let shown = seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
        let bypassed = settings.policy.force
        let json = options.json, sessionID = options.serveSession
        Watchdog.setLastWords {
            let ending = session.endRun(failed: true)
            guard json else {
                let left = ReplicateSession.describe(ending.canceled + ending.running).map { "kosmo-lua: " + $0 + "\n" } ?? ""
                return "kosmo-lua: time limit exceeded (\(shown) s): the script was stuck inside a C function, so the watchdog ended it\n" + left
            }
            let envelope = ExecEnvelope(
                ok: false,
                error: ExecEnvelope.Failure(kind: .limit, message: "time limit exceeded (\(shown) s): the script was stuck inside a C function, so the watchdog ended it; the output of this run was lost with it"),
                calls: ending.calls, running: ending.running, usage: ending.usage,
                stats: ExecEnvelope.Stats(ms: (seconds + Watchdog.graceSeconds) * 1000, peakMemoryBytes: 0, instructions: 0),
                permissionBypassed: bypassed, session: sessionID)
            return envelope.jsonText() + "\n"
        }
    }

    func stats(_ vm: LuaVM, since started: DispatchTime) -> ExecEnvelope.Stats {
        let statistics = vm.statistics
        let ms = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e6
        return ExecEnvelope.Stats(ms: ms, peakMemoryBytes: statistics.peakMemoryBytes, instructions: statistics.instructions)
    }

    /// Reports a failure before the script could run.
    func fail(_ failure: ExecEnvelope.Failure, vm: LuaVM?) -> Int32 {
        if options.json {
            let statistics = vm?.statistics
            ExecCommand.emit(ExecEnvelope(ok: false, error: failure,
                                          stats: ExecEnvelope.Stats(ms: 0, peakMemoryBytes: statistics?.peakMemoryBytes ?? 0,
                                                                    instructions: statistics?.instructions ?? 0),
                                          permissionBypassed: settings.policy.force))
        } else {
            StandardError.report(failure.message)
        }
        return 1
    }
}
