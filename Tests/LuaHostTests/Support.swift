import Foundation
@testable import LuaHost

/// Runs `code` in a fresh VM on a thread of its own (a VM must not block a cooperative
/// thread) and returns its results.
func run(_ code: String, profile: Profile = .standard, limits: Limits = .none) async throws -> [LuaValue] {
    try await VMThread.run {
        let vm = try makeVM(profile: profile, limits: limits)
        return try vm.run(Array(code.utf8), chunkName: "=test")
    }
}

func makeVM(profile: Profile = .standard, limits: Limits = .none) throws -> LuaVM {
    try LuaVM(profile: profile, limits: limits, output: OutputCapture(keep: true, passthrough: false, limit: limits.outputBytes))
}

/// The first result as text: strings as themselves, JSON documents as their JSON text.
func text(_ values: [LuaValue]) -> String? {
    switch values.first {
    case .bytes(let b)?: return String(decoding: b, as: UTF8.self)
    case .string(let s)?: return s
    case .json(let b)?: return String(decoding: b, as: UTF8.self)
    case .integer(let i)?: return String(i)
    case .number(let d)?: return String(d)
    case .boolean(let b)?: return String(b)
    default: return nil
    }
}

/// Runs `code` and returns the error it ends with (nil when it succeeded).
func failure(_ code: String, profile: Profile = .standard, limits: Limits = .none) async -> RunError? {
    do {
        _ = try await run(code, profile: profile, limits: limits)
        return nil
    } catch {
        return error as? RunError ?? RunError(kind: .runtime, message: "unexpected: \(error)")
    }
}
