import LuaHost
import Replicate

extension ErrorKind {
    /// The kind a failed run reports: the kind the host raised its error table with
    /// (`RunError.hostKind`, the word `LuaErrors` or the sandbox recorded), else the VM's own
    /// classification. The one place a `RunError` becomes the shared vocabulary: `LuaHost`
    /// knows nothing of Replicate, so it keeps its own `RunError.Kind`.
    public init(_ error: RunError) {
        if let host = error.hostKind {
            self.init(reading: host)
            return
        }
        switch error.kind {
        case .runtime, .host: self = .runtime
        case .syntax: self = .syntax
        case .limit: self = .limit
        case .interrupted: self = .interrupted
        }
    }
}
