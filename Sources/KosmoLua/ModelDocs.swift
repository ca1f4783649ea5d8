import AgentMode
import Foundation
import KosmoCommandLine
import Replicate
import ReplicateLua

/// Reads a model's interface for `kosmo-lua docs owner/name[:version]`: `get_model` (its latest
/// version's schema) or `get_model_version`, through a client with the settings the command
/// line resolves (so `--sim` describes the simulator's models).
enum ModelDocs {
    struct Failure: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    /// Whether `docs NAME` names a model rather than a function: `owner/name[:version]` or a
    /// version id (refused with how to name it).
    static func namesModel(_ name: String) -> Bool {
        name.contains("/") || (name.count == 64 && name.allSatisfy { $0.isASCII && $0.isHexDigit })
    }

    static func describe(_ reference: String, flags: ReplicateFlags) async throws(Failure) -> ModelDescription {
        let target: RunTarget
        do {
            target = try RunTarget(reference)
        } catch {
            throw Failure(message: ((error as? ReplicateError)?.message ?? "\(error)") + " (kosmo-lua docs owner/name)")
        }
        guard case .model(let owner, let name, let version) = target else {
            throw Failure(message: "a bare version id cannot be looked up: the API reads a version through its model; give owner/name:\(reference)")
        }
        let settings: ReplicateSettings
        do {
            settings = try ReplicateSetup.settings(flags: flags)
        } catch {
            throw Failure(message: error.message)
        }
        guard let token = settings.token, !token.isEmpty else {
            throw Failure(message: "no API token to read \(owner)/\(name) with: set REPLICATE_API_TOKEN (kosmo-lua doctor shows how), or describe the simulator's models with --sim")
        }
        let model = owner + "/" + name
        let operationName = version == nil ? "get_model" : "get_model_version"
        guard let operation = Catalog.operation(named: operationName) else {
            throw Failure(message: "\(operationName) is missing from the catalog")
        }
        let setting = settings.policy.setting(for: operationName, operation: operation)
        if setting.mode == .deny, !settings.policy.force {
            throw Failure(message: "reading \(model) needs \(operationName), which the policy denies (\(setting.source)); allow it there to describe the model")
        }
        var arguments: [String: JSONValue] = ["model_owner": .string(owner), "model_name": .string(name)]
        if let version { arguments["version_id"] = .string(version) }
        let client = ReplicateClient(configuration: settings.clientConfiguration)
        let body: JSONValue
        do {
            body = try await client.perform(operation, arguments: arguments).body
        } catch {
            throw Failure(message: explain(error, model: model, version: version, host: settings.baseURL.host ?? settings.baseURL.absoluteString))
        }
        let versionBody: JSONValue
        if version == nil {
            guard let latest = body["latest_version"], latest.objectValue != nil else {
                throw Failure(message: "\(model) has no version yet, so it has no inputs to describe")
            }
            versionBody = latest
        } else {
            versionBody = body
        }
        let versionID = versionBody["id"]?.stringValue ?? version ?? "unknown"
        guard let schema = versionBody["openapi_schema"], schema.objectValue != nil,
              let interface = ModelInterface(schema: schema) else {
            throw Failure(message: "version \(versionID.prefix(12)) of \(model) publishes no input schema (openapi_schema.components.schemas.Input), so its inputs cannot be described; the API still checks them when it runs")
        }
        return ModelDescription(model: model, version: versionID,
                                official: version == nil ? body["is_official"]?.boolValue : nil,
                                summary: version == nil ? body["description"]?.stringValue : nil, interface: interface)
    }

    /// A failed lookup in words: what was not found or refused, and what to do.
    static func explain(_ error: any Error, model: String, version: String?, host: String) -> String {
        guard let failure = error as? ReplicateError else { return "cannot read \(model): \(error)" }
        switch failure.status {
        case 404?:
            if let version {
                return "\(model) has no version \(version) at \(host) (HTTP 404); kosmo-lua docs \(model) describes its latest version"
            }
            return "no model \(model) at \(host) (HTTP 404): check the owner and the name, or find it with replicate.search_models{query = \"\(model.split(separator: "/").last ?? "")\"}"
        case 401?:
            return "the API refused the token reading \(model) (HTTP 401); kosmo-lua doctor checks it"
        case 403?:
            return "the token may not read \(model) (HTTP 403): it is private to another account"
        default:
            return "cannot read \(model): \(failure.message)"
        }
    }
}
