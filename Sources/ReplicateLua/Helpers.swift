import CLua
import Foundation
import LuaHost
import Replicate

/// The helpers' Swift halves, registered into the host table `lua/_replicate.lua` receives.
enum Helpers {
    static let eventMetatable = "replicate.event"

    static func register(in vm: LuaVM, table: Int32, on L: OpaquePointer, session: SessionSource) {
        vm.register("run", in: table, on: L, RunHelpers.run(session))
        vm.register("wait", in: table, on: L, RunHelpers.wait(session))
        vm.register("model", in: table, on: L, RunHelpers.model(session))
        vm.register("page", in: table, on: L, page(session))
        vm.register("stream_open", in: table, on: L, StreamHelpers.open(session))
        vm.register("stream_next", in: table, on: L, StreamHelpers.next(session))
        vm.register("stream_close", in: table, on: L, sync: StreamHelpers.close(session))
        vm.register("upload", in: table, on: L, FileHelpers.upload(session))
        vm.register("download", in: table, on: L, FileHelpers.download(session))
        vm.register("verify", in: table, on: L, verify(session))
        vm.register("sign", in: table, on: L, sync: sign)
        vm.register("tasks", in: table, on: L, sync: TaskHelpers.tasks)
        vm.register("sleep", in: table, on: L, SleepHelper.sleep())
        vm.register("journal", in: table, on: L, sync: { call in try journal(call, session) })
        vm.register("help", in: table, on: L, sync: { call in
            call.push(.string(Documentation.helpText(for: call.string(1))))
        })
        vm.register("suggest", in: table, on: L, sync: { call in
            guard let name = call.string(1) else { return call.push(.nil) }
            return call.push(Documentation.closestName(to: name).map(LuaValue.string) ?? .nil)
        })
    }

    /// `journal(path)`: keep this run's journal of creates at `path` (as `--journal` does),
    /// before the script's first create. Outside the sandbox only: the journal is a local file.
    static func journal(_ call: LuaCall, _ source: SessionSource) throws -> Int32 {
        guard let path = call.string(1), !path.isEmpty else {
            throw LuaErrors.validation(function: "journal", message: "replicate.journal: expected the journal file's path, got \(typeName(call, 1))")
        }
        guard !source.sandboxed else {
            throw LuaErrors.validation(function: "journal", message: "replicate.journal is not available in the sandbox; the host keeps a journal with --journal FILE")
        }
        try source.get(for: "journal").journal.use(path)
        return 0
    }

    /// Reads an options table (argument `index`, may be absent) and rejects unknown keys.
    static func options(_ call: LuaCall, _ index: Int32, function: String, allowed: [String]) throws -> [String: JSONValue] {
        if call.isNil(index) { return [:] }
        guard call.type(index) == LUA_TTABLE else {
            throw LuaErrors.validation(function: function, message: "replicate.\(function): options must be a table, got \(typeName(call, index))")
        }
        let value = try LuaJSON.argument(call, index, function: function, what: "the options table")
        if let array = value.arrayValue, array.isEmpty { return [:] }
        guard let object = value.objectValue else {
            throw LuaErrors.validation(function: function, message: "replicate.\(function): options must be a table of named options")
        }
        for key in object.keys.sorted() where !allowed.contains(key) {
            var message = "replicate.\(function): unknown option '\(key)'"
            if let near = Catalog.closest(to: key, among: allowed) { message += "; did you mean '\(near)'?" }
            throw LuaErrors.validation(function: function, message: message + " (options: \(allowed.joined(separator: ", ")))")
        }
        return object
    }

    /// The catalog operation a helper performs (its policy, prompt and log entry are that
    /// operation's); a catalog without it is a build defect, reported rather than trapped.
    static func operation(_ name: String, function: String) throws -> OperationSpec {
        guard let operation = Catalog.operation(named: name) else {
            throw LuaErrors.validation(function: function, message: "replicate.\(function): \(name) is missing from the catalog")
        }
        return operation
    }

    static func typeName(_ call: LuaCall, _ index: Int32) -> String {
        call.type(index) == LUA_TNONE ? "no value" : String(cString: lua_typename(call.L, call.type(index)))
    }

    static func requireString(_ call: LuaCall, _ index: Int32, function: String, what: String) throws -> String {
        guard let text = call.string(index) else {
            throw LuaErrors.validation(function: function, message: "replicate.\(function): \(what) must be a string, got \(typeName(call, index))")
        }
        return text
    }

    /// `page(name, args, next)`: one page of any paginated function (for `replicate.paginate`):
    /// that function's pipeline call, at the `next` URL an earlier page gave.
    static func page(_ source: SessionSource) -> HostFunction {
        .work { call in
            let session = try source.get(for: "paginate")
            let name = try requireString(call, 1, function: "paginate", what: "the function name")
            guard let operation = Catalog.operation(named: name) else {
                var message = "replicate.paginate: '\(name)' is not a replicate function"
                if let near = Catalog.closestName(to: name) { message += "; did you mean '\(near)'?" }
                throw LuaErrors.validation(function: "paginate", message: message)
            }
            guard operation.paginated else {
                let names = Catalog.operations.filter(\.paginated).map(\.name).joined(separator: ", ")
                throw LuaErrors.validation(function: "paginate", message: "replicate.paginate: \(operation.name) is not paginated; these are: \(names)")
            }
            let mapper = ArgumentMapper(operation: operation, function: operation.name)
            var arguments: [String: JSONValue] = [:]
            if !call.isNil(2) {
                if let text = call.string(2) {
                    arguments = try mapper.positional([.string(text)])
                } else {
                    arguments = try options(call, 2, function: operation.name, allowed: operation.argumentNames)
                }
            }
            let pipeline = session.pipeline
            let admitted = try pipeline.admit(ReplicateCall(function: operation.name, operation: operation, arguments: arguments),
                                              page: call.string(3), from: call)
            return pipeline.execute(admitted, .exchange(decode: { response in
                CallResult([LuaJSON.value(response)], status: response.status)
            }))
        }
    }

    /// `webhooks.sign{id =, timestamp =, body =, secret =}`: the `webhook-signature` value
    /// Replicate would send, for testing a webhook handler offline.
    static func sign(_ call: LuaCall) throws -> Int32 {
        let function = "webhooks.sign"
        let args = try options(call, 1, function: function, allowed: ["id", "timestamp", "body", "secret"])
        guard let id = args["id"]?.stringValue, let timestamp = args["timestamp"]?.intValue,
              let body = args["body"]?.stringValue, let secret = args["secret"]?.stringValue else {
            throw LuaErrors.validation(function: function, message: "replicate.webhooks.sign needs id (string), timestamp (integer), body (string) and secret (string)")
        }
        do {
            return call.push(.string(try Webhooks.sign(id: id, timestamp: timestamp, body: Data(body.utf8), secret: secret)))
        } catch {
            throw LuaErrors.from(error, function: function).raise
        }
    }

    /// The largest `tolerance` `webhooks.verify` takes: a year, far past any real delivery delay.
    static let maxWebhookTolerance: Double = 365 * 24 * 3600

    /// `webhooks.verify{headers =, body =, secret =}`; without a secret, it is one
    /// `get_default_webhook_secret` call (a read) whose answer the signature is checked with.
    static func verify(_ source: SessionSource) -> HostFunction {
        .work { call in
            let session = try source.get(for: "webhooks.verify")
            let function = "webhooks.verify"
            let args = try options(call, 1, function: function, allowed: ["headers", "body", "secret", "tolerance"])
            guard let headerObject = args["headers"]?.objectValue else {
                throw LuaErrors.validation(function: function, message: "replicate.webhooks.verify: 'headers' must be a table of the request's headers")
            }
            var headers: [String: String] = [:]
            for (name, value) in headerObject {
                guard let text = value.stringValue else {
                    throw LuaErrors.validation(function: function, message: "replicate.webhooks.verify: header '\(name)' must be a string")
                }
                headers[name] = text
            }
            guard let body = args["body"]?.stringValue else {
                throw LuaErrors.validation(function: function, message: "replicate.webhooks.verify: 'body' must be the raw request body as a string")
            }
            let tolerance = args["tolerance"]?.doubleValue ?? 300
            guard (0...Self.maxWebhookTolerance).contains(tolerance) else {
                throw LuaErrors.validation(function: function, message: "replicate.webhooks.verify: 'tolerance' must be a number of seconds from 0 to \(Int(Self.maxWebhookTolerance)) (a year), got \(tolerance)")
            }
            let frozenHeaders = headers
            let check: @Sendable (String) throws -> [LuaValue] = { key in
                do {
                    return [.boolean(try Webhooks.verify(headers: frozenHeaders, body: body, secret: key, tolerance: tolerance))]
                } catch {
                    throw LuaErrors.from(error, function: function).raise
                }
            }
            if let given = args["secret"] {
                guard let secret = given.stringValue else {
                    throw LuaErrors.validation(function: function, message: "replicate.webhooks.verify: 'secret' must be the webhook secret as a string (whsec_…); leave it out to fetch the account's")
                }
                return HostWork(run: { try check(secret) })
            }
            let pipeline = session.pipeline
            let operation = try operation("get_default_webhook_secret", function: function)
            let admitted = try pipeline.admit(ReplicateCall(function: operation.name, operation: operation, arguments: [:]), from: call)
            return pipeline.execute(admitted, .exchange(decode: { response in
                guard let key = response.body["key"]?.stringValue else {
                    throw LuaErrors.validation(function: function, message: "replicate.webhooks.verify: no secret given and none could be fetched")
                }
                return CallResult(try check(key), status: response.status)
            }))
        }
    }
}
