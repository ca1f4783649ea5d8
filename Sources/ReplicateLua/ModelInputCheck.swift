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
        guard let (interface, model) = models.interface(for: call, lookup) else { return }
        let problems = interface.problems(in: input, model: model)
        guard !problems.isEmpty else { return }
        throw LuaErrors.validation(function: call.function, message: "replicate.\(call.function): "
            + problems.map(\.message).joined(separator: "; ") + "; nothing was sent (to send it anyway: validate = false)")
    }
}
