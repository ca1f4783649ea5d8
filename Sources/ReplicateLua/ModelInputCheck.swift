import LuaHost
import Replicate

/// The input check: a creating call's `input` against the interface of the model version it
/// would run (`ModelInterface.problems`), before anyone is asked to approve it and before any
/// create is sent. A misspelt key names the nearest valid one; a missing, mistyped, out of
/// range or not-allowed value names the field, what was given and what is allowed.
///
/// An interface that cannot be known (a bare version id never seen, a lookup the policy does
/// not allow, the API unreachable) does not block the call: the API checks it as before.
/// `validate = false` in a call's options skips the check.
struct ModelInputCheck: CallCheck {
    let models: ModelDirectory

    func check(_ call: ReplicateCall, in session: ReplicateSession, stop: StopCheck) throws {
        guard call.validates, call.operation.creates != nil, let input = call.arguments["input"]?.objectValue else { return }
        let lookup = ModelDirectory.Lookup(session: session, stop: stop)
        guard let (interface, model) = interface(for: call, lookup) else { return }
        let problems = interface.problems(in: input, model: model)
        guard !problems.isEmpty else { return }
        throw LuaErrors.validation(function: call.function, message: "replicate.\(call.function): "
            + problems.map(\.message).joined(separator: "; ") + "; nothing was sent (to send it anyway: validate = false)")
    }

    /// The interface the call's input must fit, and the model's name for the messages.
    private func interface(for call: ReplicateCall, _ lookup: ModelDirectory.Lookup) -> (ModelInterface, String)? {
        let arguments = call.arguments
        switch call.operation.name {
        case "create_model_prediction":
            guard let owner = arguments["model_owner"]?.stringValue, let name = arguments["model_name"]?.stringValue,
                  let interface = models.model(owner: owner, name: name, lookup)?.latestInterface else { return nil }
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
            guard let interface = models.interface(version: version, owner: model?.owner, name: model?.name, training: false, lookup) else { return nil }
            return (interface, model?.description ?? "version \(version.prefix(12))")
        case "create_deployment_prediction":
            guard let owner = arguments["deployment_owner"]?.stringValue, let name = arguments["deployment_name"]?.stringValue,
                  let release = models.deployment(owner: owner, name: name, lookup),
                  let interface = models.interface(version: release.version, owner: release.model.owner, name: release.model.name,
                                                   training: false, lookup) else { return nil }
            return (interface, "deployment \(owner)/\(name) (\(release.model))")
        case "create_training":
            guard let owner = arguments["model_owner"]?.stringValue, let name = arguments["model_name"]?.stringValue,
                  let version = arguments["version_id"]?.stringValue,
                  let interface = models.interface(version: version, owner: owner, name: name, training: true, lookup) else { return nil }
            return (interface, "\(owner)/\(name) (training)")
        default:
            return nil
        }
    }
}
