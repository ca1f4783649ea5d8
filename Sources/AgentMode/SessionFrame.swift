import Foundation
import LuaHost
import Replicate
import ReplicateLua

/// One snippet as the MCP server hands it to a session's child (`exec --json --serve`): a
/// header line of JSON, `{"code_bytes": N, "timeout": …, "memory": …, "instructions": …,
/// "output": …, "result": …}`, then exactly N bytes of Lua source. The child answers each with
/// one envelope line on standard output. The limits are the call's own (the server already
/// lowered them to the tool call's arguments); the child still holds them to its own, the
/// session's, so a frame can never raise a limit.
public struct SessionFrame: Sendable, Equatable {
    public var code: [UInt8]
    public var limits: Limits

    public init(code: [UInt8], limits: Limits) {
        self.code = code
        self.limits = limits
    }

    /// Most bytes of code a frame may carry: 16 MiB (the server sends at most 1 MiB).
    public static let maxCodeBytes = 16 << 20
    static let codeBytes = BoundedNumber("a number of bytes", 0...Double(maxCodeBytes), whole: true)

    /// The frame as bytes to write: its header line and its code.
    public var bytes: [UInt8] {
        var header: [String: JSONValue] = ["code_bytes": .int(Int64(code.count))]
        if let timeout = limits.timeoutSeconds { header["timeout"] = .double(timeout) }
        if let memory = limits.memoryBytes { header["memory"] = .int(Int64(memory)) }
        // In range by the tool's schema (at most 1e15), so it fits.
        if let instructions = limits.instructions { header["instructions"] = .int(Int64(clamping: instructions)) }
        if let output = limits.outputBytes { header["output"] = .int(Int64(output)) }
        if let result = limits.resultBytes { header["result"] = .int(Int64(result)) }
        let line = (try? JSONValue.object(header).encodedString()) ?? "{}"
        return Array((line + "\n").utf8) + code
    }

    /// Why a frame could not be read.
    public struct Problem: Error, Sendable, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// Reads the next frame from `fd`; nil at end of input (the server ended the session).
    /// Each limit is checked against its range, and then capped by `session`'s.
    public static func read(from fd: Int32, session: Limits) throws(Problem) -> SessionFrame? {
        guard let line = FileDescriptorIO.readLine(fd) else { return nil }
        guard let header = try? JSONValue(parsing: line), header.objectValue != nil else {
            throw Problem(message: "a session frame's header is not a JSON object")
        }
        func number(_ key: String, _ bound: BoundedNumber) throws(Problem) -> Double? {
            guard let value = header[key] else { return nil }
            guard let double = value.doubleValue else { throw Problem(message: "a session frame's '\(key)' is not a number") }
            do throws(BoundedNumberError) { return try bound.check(double, name: key) } catch { throw Problem(message: error.message) }
        }
        guard let count = try number("code_bytes", codeBytes) else {
            throw Problem(message: "a session frame's header has no 'code_bytes'")
        }
        // Exact conversions: every range below keeps whole values under 2^53.
        guard let code = FileDescriptorIO.readExactly(fd, count: Int(count)) else {
            throw Problem(message: "the session's input ended inside a frame")
        }
        var limits = Limits()
        limits.timeoutSeconds = try number("timeout", .timeoutSeconds)
        limits.memoryBytes = try number("memory", BoundedNumber("a number of bytes", 1_048_576...1_099_511_627_776, whole: true)).map { Int($0) }
        limits.instructions = try number("instructions", .instructions).map { UInt64($0) }
        limits.outputBytes = try number("output", .outputBytes).map { Int($0) }
        limits.resultBytes = try number("result", .outputBytes).map { Int($0) }
        return SessionFrame(code: code, limits: limits.within(session))
    }
}

extension Limits {
    /// Each limit at most `cap`'s (a limit `cap` has and this lacks becomes `cap`'s).
    public func within(_ cap: Limits) -> Limits {
        func lower<T: Comparable>(_ mine: T?, _ theirs: T?) -> T? {
            guard let theirs else { return mine }
            guard let mine else { return theirs }
            return Swift.min(mine, theirs)
        }
        return Limits(memoryBytes: lower(memoryBytes, cap.memoryBytes), instructions: lower(instructions, cap.instructions),
                      timeoutSeconds: lower(timeoutSeconds, cap.timeoutSeconds), outputBytes: lower(outputBytes, cap.outputBytes),
                      resultBytes: lower(resultBytes, cap.resultBytes))
    }
}

extension FileDescriptorIO {
    /// Exactly `count` bytes, or nil when the input ends first.
    public static func readExactly(_ fd: Int32, count: Int) -> [UInt8]? {
        var data = [UInt8](repeating: 0, count: count)
        var offset = 0
        while offset < count {
            let n = data.withUnsafeMutableBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return read(fd, base + offset, count - offset)
            }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { return nil }
            offset += n
        }
        return data
    }
}
