import Foundation
import LuaHost
import Replicate

/// What a session knows about the models its calls name: whether a model is official and its
/// latest version (looked up once per run), and each version's interface (`ModelInterface`,
/// fetched once per run and kept on disk between runs, since a version never changes).
///
/// Lookups are reads the host makes on a call's behalf, before the call is authorized: they
/// are made only where the policy allows that read without asking, and a lookup that cannot be
/// made (a read not allowed, a network failure, an unknown model) makes the caller go on without
/// what it would have told — the API still checks. They block the VM thread (in place, with
/// the VM's stop check), once per model and version; the VM thread also makes them one at a
/// time, so tasks that start the same model at once look it up once.
final class ModelDirectory: @unchecked Sendable {
    /// A model as a lookup found it.
    struct Model: Sendable {
        var name: ModelName
        var official: Bool
        /// The latest version's id and interface, when it has a version.
        var latestVersion: String?
        var latestInterface: ModelInterface?
    }

    /// How to make a lookup: the session's client, the policy, the VM's stop check.
    struct Lookup {
        let session: ReplicateSession
        let stop: StopCheck

        /// The body of one read, or nil when it may not or could not be made.
        func get(_ operationName: String, _ arguments: [String: JSONValue]) -> JSONValue? {
            guard let operation = Catalog.operation(named: operationName), session.mayReadUnasked(operation) else { return nil }
            let client = session.client
            guard let request = try? client.prepare(operation, arguments: arguments) else { return nil }
            do {
                if let response = try client.performInPlace(request, stop: stop) { return response.body }
                return try waitBlocking(stop: stop) { try await client.perform(request).body }
            } catch {
                return nil
            }
        }
    }

    /// A deployment's current release: the model and version it runs.
    struct Release: Sendable {
        var model: ModelName
        var version: String
    }

    private let lock = NSLock()
    private var models: [String: Model?] = [:]
    private var deployments: [String: Release?] = [:]
    private var interfaces: [String: ModelInterface?] = [:]
    /// `<schemaCache>/<API host>`, or nil: no disk cache (none configured, or a loopback API
    /// such as the simulator, whose versions are not the service's).
    private let directory: URL?

    init(settings: ReplicateSettings) {
        let host = settings.baseURL.host?.lowercased() ?? ""
        let loopback = ["localhost", "127.0.0.1", "::1", "[::1]"].contains(host)
        directory = loopback || host.isEmpty ? nil : settings.schemaCache?.appendingPathComponent(host)
    }

    /// The model `owner/name`, looked up once per run.
    func model(owner: String, name: String, _ lookup: Lookup) -> Model? {
        let key = owner + "/" + name
        if let known = lock.withLock({ models[key] }) { return known }
        var found: Model?
        if let body = lookup.get("get_model", ["model_owner": .string(owner), "model_name": .string(name)]) {
            let latest = body["latest_version"]
            let version = latest?["id"]?.stringValue
            let interface = latest?["openapi_schema"].flatMap { ModelInterface(schema: $0) }
            found = Model(name: ModelName(owner: owner, name: name), official: body["is_official"]?.boolValue ?? false,
                          latestVersion: version, latestInterface: interface)
            if let version, let interface { remember(interface, version: version, training: false) }
        }
        lock.withLock { models[key] = found }
        return found
    }

    /// The deployment `owner/name`'s current release, looked up once per run.
    func deployment(owner: String, name: String, _ lookup: Lookup) -> Release? {
        let key = owner + "/" + name
        if let known = lock.withLock({ deployments[key] }) { return known }
        var found: Release?
        if let body = lookup.get("get_deployment", ["deployment_owner": .string(owner), "deployment_name": .string(name)]),
           let model = body["current_release"]?["model"]?.stringValue, let version = body["current_release"]?["version"]?.stringValue {
            let parts = model.split(separator: "/")
            if parts.count == 2 { found = Release(model: ModelName(owner: String(parts[0]), name: String(parts[1])), version: version) }
        }
        lock.withLock { deployments[key] = found }
        return found
    }

    /// The interface of `version` (of `owner/name` when known: without it only a version seen
    /// before, in this run or on disk, is known). `training` reads the version's training inputs.
    func interface(version: String, owner: String?, name: String?, training: Bool, _ lookup: Lookup) -> ModelInterface? {
        let key = Self.key(version, training: training)
        if let known = lock.withLock({ interfaces[key] }) { return known }
        if let schema = readCached(version) {
            return remember(schema: schema, version: version, training: training)
        }
        guard let owner, let name,
              let body = lookup.get("get_model_version", ["model_owner": .string(owner), "model_name": .string(name), "version_id": .string(version)]),
              let schema = body["openapi_schema"], schema != .null else {
            lock.withLock { interfaces[key] = .some(nil) }
            return nil
        }
        writeCached(schema, version: version)
        return remember(schema: schema, version: version, training: training)
    }

    /// Keeps what a script's own `get_model` or `get_model_version` answer says about a version
    /// (`replicate.model`), so a run of it needs no lookup.
    func learn(schema: JSONValue, version: String) -> ModelInterface? {
        writeCached(schema, version: version)
        return remember(schema: schema, version: version, training: false)
    }

    private func remember(schema: JSONValue, version: String, training: Bool) -> ModelInterface? {
        let interface = ModelInterface(schema: schema, input: training ? "TrainingInput" : "Input")
        lock.withLock { interfaces[Self.key(version, training: training)] = .some(interface) }
        if !training, let other = ModelInterface(schema: schema, input: "TrainingInput") {
            lock.withLock { interfaces[Self.key(version, training: true)] = .some(other) }
        }
        return interface
    }

    private func remember(_ interface: ModelInterface, version: String, training: Bool) {
        lock.withLock { interfaces[Self.key(version, training: training)] = .some(interface) }
    }

    private static func key(_ version: String, training: Bool) -> String { training ? version + "#training" : version }

    // MARK: Disk

    /// A version id as a file name: hex digits (and, for ids of another shape, letters, digits,
    /// `-` and `_` only), so no id can name a path outside the cache.
    private func file(_ version: String) -> URL? {
        guard let directory, !version.isEmpty, version.count <= 128,
              version.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else { return nil }
        return directory.appendingPathComponent(version + ".json")
    }

    private func readCached(_ version: String) -> JSONValue? {
        guard let file = file(version), let data = try? Data(contentsOf: file) else { return nil }
        return try? JSONValue(parsing: data)
    }

    /// Keeps a schema for later runs; a failure only means the next run fetches it again.
    private func writeCached(_ schema: JSONValue, version: String) {
        guard let file = file(version), let data = try? schema.encoded() else { return }
        try? FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? data.write(to: file, options: .atomic)
    }
}

extension ModelDirectory {
    /// The interface a creating call's input must fit and its output has, and the model's name
    /// for messages; nil when it cannot be known.
    func interface(for call: ReplicateCall, _ lookup: Lookup) -> (ModelInterface, String)? {
        let arguments = call.arguments
        switch call.operation.name {
        case "create_model_prediction":
            guard let owner = arguments["model_owner"]?.stringValue, let name = arguments["model_name"]?.stringValue,
                  let interface = model(owner: owner, name: name, lookup)?.latestInterface else { return nil }
            return (interface, owner + "/" + name)
        case "create_prediction":
            guard var version = arguments["version"]?.stringValue else { return nil }
            var model = call.model
            // The API takes `owner/name:version` here too.
            if let colon = version.lastIndex(of: ":") {
                let parts = version[..<colon].split(separator: "/")
                if parts.count == 2 { model = ModelName(owner: String(parts[0]), name: String(parts[1])) }
                version = String(version[version.index(after: colon)...])
            }
            guard let interface = interface(version: version, owner: model?.owner, name: model?.name, training: false, lookup) else { return nil }
            return (interface, model?.description ?? "version \(version.prefix(12))")
        case "create_deployment_prediction":
            guard let owner = arguments["deployment_owner"]?.stringValue, let name = arguments["deployment_name"]?.stringValue,
                  let release = deployment(owner: owner, name: name, lookup),
                  let interface = interface(version: release.version, owner: release.model.owner, name: release.model.name,
                                            training: false, lookup) else { return nil }
            return (interface, "deployment \(owner)/\(name) (\(release.model))")
        case "create_training":
            guard let owner = arguments["model_owner"]?.stringValue, let name = arguments["model_name"]?.stringValue,
                  let version = arguments["version_id"]?.stringValue,
                  let interface = interface(version: version, owner: owner, name: name, training: true, lookup) else { return nil }
            return (interface, "\(owner)/\(name) (training)")
        default:
            return nil
        }
    }
}

extension ReplicateSession {
    /// Whether the policy lets the host make this read on a call's behalf without asking anyone
    /// (a lookup never prompts: it would ask about a read the script did not make).
    func mayReadUnasked(_ operation: OperationSpec) -> Bool {
        guard operation.access == .read else { return false }
        return settings.policy.force || settings.policy.setting(for: operation.name, operation: operation).mode == .allow
    }
}
