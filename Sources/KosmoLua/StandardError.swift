import Foundation

/// Writes to standard error unbuffered, so messages keep their order with Lua's own output.
enum StandardError {
    static func write(_ text: String) {
        fflush(nil)
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// `kosmo-lua: message`, as `lua` prefixes its messages with its program name.
    static func report(_ message: String) {
        write("kosmo-lua: \(message)\n")
    }
}
