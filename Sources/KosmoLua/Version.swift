import CBuildInfo
import CLuaBridge

/// Names and versions shown by `-v`, the REPL banner and `--help`.
enum Version {
    static let kosmo = "0.1.0"
    /// The commit built from (`make` records it), or "unknown".
    static var commit: String { String(cString: kosmo_build_commit()) }
    static var lua: String { String(cString: kl_lua_release) }
    static var banner: String { "kosmo-lua \(kosmo) (commit \(commit)) (\(String(cString: kl_lua_copyright)))" }
}
