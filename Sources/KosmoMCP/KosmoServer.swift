import AgentMode
import Foundation
import LuaHost
import MCP
import Replicate
import ReplicateLua

/// `kosmo-lua mcp`: the MCP server. Each `execute_lua` runs in a child `kosmo-lua exec --json`
/// with a hard deadline; discovery runs in the server itself, on a queue of its own
/// (`DiscoveryWork`) so it never holds up other requests.
struct KosmoServer: Sendable {
    let options: AgentOptions
    let settings: ReplicateSettings
    /// The `kosmo-lua` executable that runs each execution.
    let executable: String
    /// The simulator's base URL with `--sim`: one simulator for the whole session.
    let simulatorURL: URL?
    let approvals = ApprovalRelay()
    /// Approvals of stateless (2026-07-28) clients: input-required results and paused executions.
    let stateless = StatelessApprovals()
    /// Where progress notifications go, once the client is connected.
    let notifications = NotificationLink()
    /// The open `execute_lua` sessions.
    let sessions: SessionRegistry
    /// Tool calls being answered, so the end of input waits for them.
    let inFlight = InFlightCalls()
    /// Settles what a child created and could not settle itself (`OrphanSettler`).
    var orphans: OrphanSettler { OrphanSettler.shared(settings: settings, simulatorURL: simulatorURL) }

    init(options: AgentOptions, settings: ReplicateSettings, executable: String, simulatorURL: URL?) {
        self.options = options
        self.settings = settings
        self.executable = executable
        self.simulatorURL = simulatorURL
        sessions = SessionRegistry(maxSessions: options.maxSessions, idleSeconds: options.sessionIdleSeconds)
    }

    /// Seconds a child may take beyond its Lua deadline (start-up, the watchdog's grace,
    /// writing the envelope) before it is killed.
    static let startupAllowance = 1.5

    func run() async throws {
        let server = Server(
            name: Self.name,
            version: Self.version,
            title: "kosmo-lua: Lua code mode for Replicate",
            instructions: Self.instructions,
            capabilities: Self.capabilities)
        let tools = toolList()
        await server.withMethodHandler(ListTools.self) { _ in
            ListTools.Result(tools: tools)
        }
        await server.withMethodHandler(ListResources.self) { _ in
            ListResources.Result(resources: ServerResources.list)
        }
        await server.withMethodHandler(ReadResource.self) { params in
            guard let contents = ServerResources.read(params.uri) else {
                throw MCPError.invalidParams(ServerResources.unknown(params.uri))
            }
            return ReadResource.Result(contents: [contents])
        }
        let inFlight = self.inFlight
        await server.withMethodHandler(CallTool.self) { params in
            inFlight.begin()
            defer { inFlight.end() }
            return await self.call(params)
        }
        let approvals = self.approvals
        // Progress goes out from the start: a stateless (2026-07-28) client never sends
        // `initialize`, and its requests carry progress tokens as a handshake client's do.
        notifications.connect(server)
        try await server.start(transport: LineTransport(eras: ProtocolEras())) { _, capabilities in
            approvals.connect(server: server, clientSupportsElicitation: capabilities.elicitation?.form != nil)
        }
        await server.waitUntilCompleted()
        // The input ended (`echo request | kosmo-lua mcp`, or the client went away). The SDK
        // answers each request in a task of its own and stops reading at once, so answer what
        // was asked before exiting: wait for running tool calls, then give the SDK's own
        // replies (initialize, ping, lists) a moment to be written.
        while inFlight.count > 0 { try? await Task.sleep(nanoseconds: 10_000_000) }
        try? await Task.sleep(nanoseconds: 100_000_000)
        sessions.endAll()
        RunningChildren.shared.killAll()
    }

    static let name = "kosmo-lua"
    static let version = "0.1.0"
    static let instructions = """
        Run Lua 5.4 against Replicate's API with execute_lua: one snippet can make many calls \
        (replicate.run, replicate.map for fan-out, replicate.paginate), and you get back one envelope \
        with the result, printed output, every call made and any error. Find functions with \
        search_functions and their arguments with describe_function, a model's inputs and outputs with \
        describe_model. The docs, the LuaLS type stubs and each function's description are resources. \
        Pass session = "new" to keep globals between execute_lua calls (the envelope's session is the id \
        to pass on); end_session ends one.
        """

    /// What the server offers: tools and resources, neither of which changes during a session.
    static let capabilities = Server.Capabilities(resources: .init(subscribe: false, listChanged: false),
                                                  tools: .init(listChanged: false))

    func toolList() -> [Tool] {
        var tools = [Tools.executeLuaTool(limits: options.limits), Tools.searchTool, Tools.describeTool, Tools.describeModelTool, Tools.endSessionTool]
        if options.exposeFunctions { tools += Tools.functionTools(policy: settings.policy) }
        return tools
    }

    func call(_ params: CallTool.Parameters) async -> CallTool.Result {
        let arguments = ToolArguments(tool: params.name, values: params.arguments ?? [:])
        // Every tool's arguments are checked against its schema's names here, before any tool
        // runs: a misspelt limit must not run silently with the default.
        if let tool = toolList().first(where: { $0.name == params.name }), let problem = arguments.unknownName(allowed: tool) {
            return Tools.returnsEnvelope(params.name) ? Tools.usage(problem) : Tools.text(problem, error: true)
        }
        switch params.name {
        case Tools.executeLua:
            let code: String
            let limits: Limits
            let session: String?
            do {
                guard let given = try arguments.string("code", maxBytes: ToolArguments.MaxBytes.code) else {
                    return Tools.usage("execute_lua needs 'code': the Lua source to run")
                }
                code = given
                limits = try requestedLimits(arguments)
                session = try arguments.string("session", maxBytes: Tools.maxSessionBytes)
            } catch {
                return Tools.usage(error.message)
            }
            return await run(Array(code.utf8), limits: limits, session: session, meta: params._meta)
        case Tools.endSession:
            do {
                guard let id = try arguments.string("session", maxBytes: Tools.maxSessionBytes), !id.isEmpty else {
                    return Tools.text("end_session needs 'session': the id an execute_lua envelope's session gave", error: true)
                }
                try sessions.end(id)
                return Tools.text("ended session '\(id)'", structured: .object(["ended": .string(id)]))
            } catch let problem as SessionRegistry.Problem {
                return Tools.text(problem.message, error: true)
            } catch let problem as ToolArguments.Problem {
                return Tools.text(problem.message, error: true)
            } catch {
                return Tools.text("\(error)", error: true)
            }
        case Tools.searchFunctions:
            let query: String
            let limit: Int
            do {
                query = try arguments.string("query", maxBytes: ToolArguments.MaxBytes.query) ?? ""
                // Exact: the range is 1 to 100.
                limit = try arguments.number("limit", .searchResults).map { Int($0) } ?? 10
            } catch {
                return Tools.text(error.message, error: true)
            }
            return await DiscoveryWork.run(Tools.searchFunctions) { search(query, limit: limit) }
        case Tools.describeFunction:
            let name: String
            do {
                guard let given = try arguments.string("name", maxBytes: ToolArguments.MaxBytes.name), !given.isEmpty else {
                    return Tools.text("describe_function needs 'name', such as get_model or run", error: true)
                }
                name = given
            } catch {
                return Tools.text(error.message, error: true)
            }
            return await DiscoveryWork.run(Tools.describeFunction) { describe(name) }
        case Tools.describeModel:
            let reference: ModelReference
            do {
                guard let given = try arguments.string("model", maxBytes: ToolArguments.MaxBytes.name), !given.isEmpty else {
                    return Tools.text("describe_model needs 'model': owner/name or owner/name:version, such as sim/slow", error: true)
                }
                reference = try ModelReference(given)
            } catch {
                return Tools.text(error.message, error: true)
            }
            return await describeModel(reference)
        default:
            guard options.exposeFunctions, let operation = Tools.operation(forTool: params.name),
                  Tools.exposed(operation, policy: settings.policy) else {
                return Tools.text(unknownTool(params.name), error: true)
            }
            // The arguments travel as the script's first argument, so nothing is spliced into code.
            let json = ValueConversion.jsonText(.object(arguments.values)) ?? "{}"
            guard json.utf8.count <= ToolArguments.MaxBytes.functionArguments else {
                return Tools.usage("\(params.name): the arguments are \(json.utf8.count) bytes of JSON, more than the \(ToolArguments.bytes(ToolArguments.MaxBytes.functionArguments)) they may have")
            }
            let code = "return replicate.\(operation.name)(json.decode((...)))"
            return await run(Array(code.utf8), limits: options.limits, scriptArguments: [json], meta: params._meta)
        }
    }

    /// "there is no tool 'x'; did you mean 'y'?" (a name too long to be one gets no suggestion:
    /// comparing it with every tool's name would take time in proportion to its length).
    func unknownTool(_ name: String) -> String {
        guard name.utf8.count <= ToolArguments.MaxBytes.name else {
            return "there is no tool named '\(name.prefix(40))…' (\(name.utf8.count) bytes; tool names have at most \(ToolArguments.MaxBytes.name))"
        }
        var message = "there is no tool '\(name)'"
        if let near = Catalog.closest(to: name, among: toolList().map(\.name)) { message += "; did you mean '\(near)'?" }
        return message
    }

    /// The limits a call asked for, never above the server's; each one given must be within
    /// its range (`BoundedNumber`), or the call is refused naming the range.
    func requestedLimits(_ arguments: ToolArguments) throws(ToolArguments.Problem) -> Limits {
        var limits = options.limits
        func lower<T: Comparable>(_ current: T?, _ requested: T?) -> T? {
            guard let requested else { return current }
            guard let current else { return requested }
            return min(current, requested)
        }
        // Exact conversions: the ranges keep memory under 2^40 bytes and counts below 2^53.
        limits.timeoutSeconds = lower(limits.timeoutSeconds, try arguments.number("timeout_seconds", .timeoutSeconds))
        limits.memoryBytes = lower(limits.memoryBytes, try arguments.number("memory_mb", .memoryMB).map { Int($0 * 1_048_576) })
        limits.instructions = lower(limits.instructions, try arguments.number("instructions", .instructions).map { UInt64($0) })
        limits.outputBytes = lower(limits.outputBytes, try arguments.number("output_limit_bytes", .outputBytes).map { Int($0) })
        limits.resultBytes = lower(limits.resultBytes, try arguments.number("result_limit_bytes", .outputBytes).map { Int($0) })
        return limits
    }

    /// A tool call's execution as its result, in its session when it names one. A stateless
    /// client that can be asked gets an input-required result when the code needs an approval,
    /// and its retry resumes the same execution (`StatelessApprovals`); any other client's
    /// questions go out as elicitations. Progress goes to the request's progress token.
    func run(_ code: [UInt8], limits: Limits, scriptArguments: [String] = [], session: String? = nil, meta: Metadata?) async -> CallTool.Result {
        let progress = notifications.forwarder(for: meta?.progressToken)
        @Sendable func outcome(asker: PausedExecution?) async -> ChildExecution.Outcome {
            if let session {
                return await executeInSession(session, code, limits: limits, progress: progress, asker: asker)
            }
            return await execute(code, limits: limits, scriptArguments: scriptArguments, progress: progress, asker: asker)
        }
        guard StatelessApprovals.applies(to: meta) else { return Tools.result(for: await outcome(asker: nil)) }
        return await stateless.call(code: code, meta: meta, relay: approvals) { execution in await outcome(asker: execution) }
    }

    /// A child's `exec` arguments before its script: JSON, its channels to the server, its
    /// limits (a session child's are the server's own, the session's cap), the replicate
    /// flags and the simulator. One-shot and session children start with the same.
    func childArguments(_ limits: Limits) -> [String] {
        var arguments = ["exec", "--json"] + SpawnedChild.channelArguments + AgentOptions.limitArguments(limits)
        arguments += options.replicateArgumentsForChildren
        if let simulatorURL { arguments += ["--sim-url", simulatorURL.absoluteString] }
        return arguments
    }

    /// When the server ends a child running a call with `limits`.
    static func hardDeadline(_ limits: Limits) -> Double {
        (limits.timeoutSeconds ?? 30) + Watchdog.graceSeconds + startupAllowance
    }

    func execute(_ code: [UInt8], limits: Limits, scriptArguments: [String] = [], progress: ProgressForwarder? = nil,
                 asker: PausedExecution? = nil) async -> ChildExecution.Outcome {
        let arguments = childArguments(limits) + ["-"] + scriptArguments
        return await ChildExecution(executable: executable, arguments: arguments, code: code,
                                    hardDeadline: Self.hardDeadline(limits), approvals: approvals, asker: asker, orphans: orphans,
                                    progress: progress).run()
    }

    /// Runs a call in a session: `"new"` opens one (its first call runs in it), an id finds one.
    func executeInSession(_ id: String, _ code: [UInt8], limits: Limits, progress: ProgressForwarder?,
                          asker: PausedExecution? = nil) async -> ChildExecution.Outcome {
        let session: SessionChild
        do {
            if id == "new" {
                let executable = self.executable, arguments = childArguments(options.limits), approvals = self.approvals
                let orphans = self.orphans
                session = try sessions.open { id in
                    SessionChild.start(id: id, executable: executable, arguments: arguments, approvals: approvals, orphans: orphans)
                }
            } else {
                session = try sessions.session(id)
            }
        } catch {
            return ChildExecution.Outcome(envelope: ExecEnvelope.failure(kind: .usage, message: error.message))
        }
        let outcome = await session.run(code, limits: limits, hardDeadline: Self.hardDeadline(limits), progress: progress, asker: asker)
        if session.ended == nil { sessions.touch(session) }
        return outcome
    }

    func search(_ query: String, limit: Int) -> CallTool.Result {
        let matches = Discovery.search(query, limit: limit)
        let items: [Value] = matches.map { match in
            let function = match.function
            return .object(["name": .string(function.name), "kind": .string(function.kind.rawValue), "access": .string(function.accessName),
                            "summary": .string(function.summary), "signature": .string(function.signature)])
        }
        let text = matches.isEmpty
            ? "no replicate function matches '\(query)'; try fewer or other words (search_functions with an empty query lists all)"
            : matches.map { "\($0.function.name) (\($0.function.accessName)): \($0.function.summary)" }.joined(separator: "\n")
        return Tools.text(text, structured: .object(["results": .array(items)]))
    }

    func describe(_ name: String) -> CallTool.Result {
        guard let function = Discovery.function(named: name) else {
            return Tools.text(Discovery.unknown(name), error: true)
        }
        var text = function.helpText
        if let schema = Discovery.jsonSchema(for: function) {
            text += "\nJSON Schema of the argument table:\n" + ExecEnvelope.jsonText(of: schema)
        }
        return Tools.text(text, structured: ValueConversion.mcp(Discovery.json(for: function)))
    }
}

/// A count of tool calls being answered.
final class InFlightCalls: @unchecked Sendable {
    private let lock = NSLock()
    private var running = 0

    func begin() { lock.withLock { running += 1 } }
    func end() { lock.withLock { running -= 1 } }
    var count: Int { lock.withLock { running } }
}
