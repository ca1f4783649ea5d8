import CLua
import Foundation
import LuaHost
import Replicate

/// `replicate.run` and `replicate.wait`.
enum RunHelpers {
    static let runOptions = ["wait", "cancel_after", "webhook", "webhook_events_filter", "timeout", "deployment", "validate", "raw", "save"]

    /// The longest `timeout` honoured (a year): a longer one is the same as none.
    static let maxTimeout: TimeInterval = 365 * 24 * 3600

    /// The resolve stage of `run` and `stream`: reads `(ref, input, opts)` and returns the create
    /// it asks for (`create_prediction`, or its model or deployment form) as a pipeline call
    /// labelled with the model, and the options. The pipeline's `check` checks the arguments.
    ///
    /// `owner/name` runs an official model through its model endpoint and any other model
    /// through its latest version, which one lookup (per model and run) tells apart; without
    /// the lookup (reads not allowed unasked, the API unreachable) it goes to the model endpoint.
    static func creation(_ call: LuaCall, session: ReplicateSession, function: String, waitByDefault: Bool) throws -> (ReplicateCall, [String: JSONValue]) {
        let reference = try Helpers.requireString(call, 1, function: function, what: "the model (owner/name, owner/name:version or a version id)")
        var input: [String: JSONValue] = [:]
        if !call.isNil(2) {
            guard call.type(2) == LUA_TTABLE else {
                throw LuaErrors.validation(function: function, message: "replicate.\(function): the input must be a table, got \(Helpers.typeName(call, 2))")
            }
            let value = try LuaJSON.argument(call, 2, function: function, what: "the input")
            if let object = value.objectValue { input = object } else if value.arrayValue?.isEmpty != true {
                throw LuaErrors.validation(function: function, message: "replicate.\(function): the input must be a table of named inputs, not a list")
            }
        }
        let options = try Helpers.options(call, 3, function: function, allowed: function == "stream" ? runOptions.filter { $0 != "save" } : runOptions)
        let target: RunTarget
        do {
            target = options["deployment"]?.boolValue == true ? try RunTarget.deployment(reference) : try RunTarget(reference)
        } catch {
            throw LuaErrors.validation(function: function, message: "replicate.\(function): " + ((error as? ReplicateError)?.message ?? "\(error)"))
        }
        var arguments: [String: JSONValue] = ["input": .object(input)]
        let operationName: String
        var model: ModelName?
        let mayLookUp = !Catalog.operations.contains { $0.creates == .prediction && session.deniesOutright(function, $0) }
        switch target {
        case .version(let version):
            operationName = "create_prediction"
            arguments["version"] = .string(version)
        case .model(let owner, let name, let version?):
            operationName = "create_prediction"
            arguments["version"] = .string(version)
            model = ModelName(owner: owner, name: name)
        case .model(let owner, let name, nil):
            model = ModelName(owner: owner, name: name)
            // A run the policy refuses outright is refused without a lookup.
            let found = mayLookUp ? session.models.model(owner: owner, name: name, ModelDirectory.Lookup(session: session, stop: call.vm.inPlaceStopCheck)) : nil
            if let found, !found.official, let latest = found.latestVersion {
                operationName = "create_prediction"
                arguments["version"] = .string(latest)
            } else {
                operationName = "create_model_prediction"
                arguments["model_owner"] = .string(owner)
                arguments["model_name"] = .string(name)
            }
        case .deployment(let owner, let name):
            operationName = "create_deployment_prediction"
            arguments["deployment_owner"] = .string(owner)
            arguments["deployment_name"] = .string(name)
        }
        if let wait = options["wait"] { arguments["wait"] = wait } else if waitByDefault { arguments["wait"] = true }
        for key in ["cancel_after", "webhook", "webhook_events_filter"] { if let v = options[key] { arguments[key] = v } }
        // A timeout bounds the whole call: the sync wait is held no longer than it, and the
        // server is told to stop the prediction (and its billing) if the caller gives up and
        // cannot say so (`Cancel-After`, at least 5 s, as the API requires).
        if options["timeout"] != nil {
            let seconds = try timeout(options, function: function)
            if options["cancel_after"] == nil { arguments["cancel_after"] = .string("\(Int64(max(5, seconds.rounded(.up))))s") }
            // Under a second there is no sync wait short enough (the API's is whole seconds): the
            // create answers at once and the wait that follows ends at the deadline.
            if waitByDefault, options["wait"] == nil {
                arguments["wait"] = seconds < 1 ? .bool(false) : .int(Int64(min(60, seconds.rounded(.down))))
            }
        }
        guard let operation = Catalog.operation(named: operationName) else {
            throw LuaErrors.validation(function: function, message: "replicate.\(function): \(operationName) is missing from the catalog")
        }
        var creation = ReplicateCall(function: function, operation: operation, arguments: arguments, label: target.description)
        creation.model = model
        // Local files for the model's file inputs: inline, or uploaded as a step once approved.
        let lookup = ModelDirectory.Lookup(session: session, stop: call.vm.inPlaceStopCheck)
        let interface = mayLookUp ? session.models.interface(for: creation, lookup)?.0 : nil
        let (resolved, uploads) = try FileInputs.resolve(input, interface: interface, session: session, function: function)
        if !uploads.isEmpty || resolved != input {
            arguments["input"] = .object(resolved)
            creation = ReplicateCall(function: function, operation: operation, arguments: arguments, label: target.description)
            creation.model = model
            creation.uploads = uploads
        }
        if let validate = options["validate"] {
            guard let flag = validate.boolValue else {
                throw LuaErrors.validation(function: function, message: "replicate.\(function): 'validate' must be true or false")
            }
            creation.validates = flag
        }
        return (creation, options)
    }

    /// The folder a call saves its prediction's outputs into: `opts.save` (a path, or false
    /// for none), else `--save`; opened (and checked) before anything is sent.
    static func saveFolder(_ options: [String: JSONValue], session: ReplicateSession, function: String) throws -> OutputVault? {
        let directory: String?
        switch options["save"] {
        case nil: directory = session.settings.saveDirectory
        case .bool(false)?: directory = nil
        case .string(let text)? where !text.isEmpty: directory = text
        default:
            throw LuaErrors.validation(function: function, message: "replicate.\(function): 'save' must be a folder path, or false to save nothing")
        }
        return try directory.map { try session.vaults.vault($0, session: session, function: function) }
    }

    static func timeout(_ options: [String: JSONValue], function: String) throws -> TimeInterval {
        guard let value = options["timeout"] else { return 1800 }
        guard let seconds = value.doubleValue, seconds > 0 else {
            throw LuaErrors.validation(function: function, message: "replicate.\(function): 'timeout' must be a positive number of seconds")
        }
        return min(seconds, maxTimeout)
    }

    /// `run(ref, input, opts)`: one create call (in sync mode by default, as the official
    /// clients do) whose steps then wait and return the output; a failed run raises a `model`
    /// error with the prediction. `timeout` bounds the whole call: at the deadline the
    /// prediction is canceled and a `timeout` error carries it in its final state. An output the
    /// model's schema displays concatenated (a language model's tokens) comes back as one
    /// string, unless `raw`.
    static func run(_ source: SessionSource) -> HostFunction {
        .work { call in
            let session = try source.get(for: "run")
            let (creation, options) = try creation(call, session: session, function: "run", waitByDefault: true)
            let timeout = try timeout(options, function: "run")
            let raw = options["raw"]?.boolValue == true
            let pipeline = session.pipeline
            let admitted = try pipeline.admit(creation, from: call)
            let vault = try saveFolder(options, session: session, function: "run")
            let shape = session.models.interface(for: admitted, ModelDirectory.Lookup(session: session, stop: call.vm.inPlaceStopCheck))?.0.output
            let started = Date()
            return pipeline.execute(admitted, .steps { steps in
                let response = try await steps.send()
                var prediction = try Prediction(json: response.body)
                if !prediction.status.isTerminal {
                    steps.update(status: prediction.status.rawValue, logs: prediction.logs)
                    let left = max(0, timeout - Date().timeIntervalSince(started))
                    do {
                        // Stopped waiting, the client cancels the prediction when a stopped run
                        // cancels what it leaves (`--cancel-on-exit`; exec and mcp unless
                        // `--keep-running`); else the end of the run names it as still running.
                        prediction = try await steps.client.wait(for: prediction, timeout: left,
                                                                 cancelOnTaskCancellation: session.settings.cancelOnExit, onUpdate: { update in
                            steps.update(status: update.status.rawValue, logs: update.logs)
                        })
                    } catch let late as ReplicateError where late.kind == .timeout && late.operation == "wait" {
                        let error = await gaveUp(on: prediction, after: timeout, client: steps.client)
                        if let ended = error.prediction { session.journal.observe(ended) }
                        throw error
                    }
                    // Its end in the journal, so a rerun returns it without asking.
                    session.journal.observe(prediction.raw)
                }
                // Saved as soon as it finishes, before the service deletes its files.
                try await vault?.save(prediction, client: steps.client, session: session, function: "run")
                guard prediction.status == .succeeded else { throw ReplicateError.model(prediction.raw, operation: "run") }
                return CallResult([LuaJSON.value(shaped(prediction.output ?? .null, shape, raw: raw))], status: response.status, run: prediction.raw)
            })
        }
    }

    /// A run past its deadline: cancels the prediction (so it stops, and stops costing) and
    /// returns the `timeout` error carrying it as it ended.
    private static func gaveUp(on prediction: Prediction, after timeout: TimeInterval, client: ReplicateClient) async -> ReplicateError {
        let ended = (try? await client.predictions.cancel(prediction.id)) ?? prediction
        let seconds = timeout < 10 ? String(format: "%.1f", timeout) : String(Int64(timeout))
        return ReplicateError(kind: .timeout, message: "run: prediction \(prediction.id) did not finish within the timeout of \(seconds) s, so it was canceled (status \(ended.status.rawValue))",
                              prediction: ended.raw, operation: "run")
    }

    /// The output as the model's schema shapes it: a concatenated iterator's strings joined.
    static func shaped(_ output: JSONValue, _ shape: ModelInterface.Output?, raw: Bool) -> JSONValue {
        guard !raw, let shape, shape.concatenate, let parts = output.arrayValue else { return output }
        let strings = parts.compactMap(\.stringValue)
        return strings.count == parts.count ? .string(strings.joined()) : output
    }

    /// `model("owner/name[:version]")`: the model's interface — its inputs in order, each with
    /// type, default, limits, choices, whether required and whether a file, and its output's
    /// shape — from one `get_model` (latest version) or `get_model_version` call.
    static func model(_ source: SessionSource) -> HostFunction {
        .work { call in
            let session = try source.get(for: "model")
            let reference = try Helpers.requireString(call, 1, function: "model", what: "the model (owner/name or owner/name:version)")
            guard case .model(let owner, let name, let version)? = try? RunTarget(reference) else {
                throw LuaErrors.validation(function: "model", message: "replicate.model: '\(reference)' is not owner/name or owner/name:version")
            }
            var arguments: [String: JSONValue] = ["model_owner": .string(owner), "model_name": .string(name)]
            if let version { arguments["version_id"] = .string(version) }
            let operation = try Helpers.operation(version == nil ? "get_model" : "get_model_version", function: "model")
            let pipeline = session.pipeline
            let admitted = try pipeline.admit(ReplicateCall(function: "model", operation: operation, arguments: arguments), from: call)
            let models = session.models
            return pipeline.execute(admitted, .exchange(decode: { response in
                let body = response.body
                let versionBody = version == nil ? body["latest_version"] : body
                guard let id = versionBody?["id"]?.stringValue, let schema = versionBody?["openapi_schema"], schema != .null,
                      let interface = models.learn(schema: schema, version: id) else {
                    throw LuaErrors.validation(function: "model", message: "replicate.model: \(owner)/\(name) publishes no input schema"
                        + (version == nil ? " (it has no version yet?)" : " for version \(version ?? "")"))
                }
                var fields = interface.json.objectValue ?? [:]
                fields["owner"] = .string(owner)
                fields["name"] = .string(name)
                fields["version"] = .string(id)
                if version == nil { fields["official"] = .bool(body["is_official"]?.boolValue ?? false) }
                return CallResult([LuaJSON.value(.object(fields))], status: response.status)
            }))
        }
    }

    /// `wait(prediction_or_id, opts)`: one `get_prediction` (or `get_training`) call whose steps
    /// poll until the prediction is done and return it, whatever its final status.
    static func wait(_ source: SessionSource) -> HostFunction {
        .work { call in
            let session = try source.get(for: "wait")
            var id: String
            var isTraining = false
            if let text = call.string(1) {
                id = text
            } else if call.type(1) == LUA_TTABLE {
                let value = try LuaJSON.argument(call, 1, function: "wait", what: "the prediction")
                guard let text = value["id"]?.stringValue else {
                    throw LuaErrors.validation(function: "wait", message: "replicate.wait: the table has no 'id'; pass a prediction, a training or an id")
                }
                id = text
                isTraining = value["urls"]?["get"]?.stringValue?.contains("/trainings/") ?? false
            } else {
                throw LuaErrors.validation(function: "wait", message: "replicate.wait: expected a prediction, a training or an id, got \(Helpers.typeName(call, 1))")
            }
            let options = try Helpers.options(call, 2, function: "wait", allowed: ["timeout", "training", "save"])
            if options["training"]?.boolValue == true { isTraining = true }
            let timeout = try timeout(options, function: "wait")
            let operation = try Helpers.operation(isTraining ? "get_training" : "get_prediction", function: "wait")
            let training = isTraining
            let pipeline = session.pipeline
            let admitted = try pipeline.admit(ReplicateCall(function: "wait", operation: operation,
                                                            arguments: [isTraining ? "training_id" : "prediction_id": .string(id)], label: id),
                                              from: call)
            let vault = try saveFolder(options, session: session, function: "wait")
            return pipeline.execute(admitted, .steps { steps in
                let response = try await steps.send()
                if training {
                    let done = try await steps.client.wait(for: try Training(json: response.body), timeout: timeout)
                    session.journal.observe(done.raw)
                    return CallResult([LuaJSON.value(done.raw)], status: response.status, run: done.raw)
                }
                // A stopped wait cancels its prediction as `run`'s does: only when the run
                // cancels what it leaves.
                let prediction = try await steps.client.wait(for: try Prediction(json: response.body), timeout: timeout,
                                                             cancelOnTaskCancellation: session.settings.cancelOnExit, onUpdate: { update in
                    steps.update(status: update.status.rawValue, logs: update.logs)
                })
                session.journal.observe(prediction.raw)
                try await vault?.save(prediction, client: steps.client, session: session, function: "wait")
                return CallResult([LuaJSON.value(prediction.raw)], status: response.status, run: prediction.raw)
            })
        }
    }
}
