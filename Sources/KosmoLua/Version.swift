import CLuaBridge

/// Names and versions shown by `-v`, the REPL banner and `--help`.
enum Version {
    static let kosmo = "0.1.0"
    static var lua: String { String(cString: kl_lua_release) }
    static var banner: String { "kosmo-lua \(kosmo) (\(String(cString: kl_lua_copyright)))" }
}
