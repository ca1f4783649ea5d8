import Foundation
import LuaHost

/// `replicate.sleep(seconds)`: waits without busy-looping. Inside `replicate.map`, `all` or
/// any scheduler task it yields the task, so the others (and their replicate calls) keep
/// running; in the main chunk it blocks the VM thread, checking the run's stop conditions.
/// Either way the time counts toward the run's time limit: a sleep past it ends the run with
/// the limit's own error.
enum SleepHelper {
    /// The seconds a sleep may take: nothing to a day (the longest time limit there is).
    static let seconds = BoundedNumber("a number of seconds (0 or more)", 0...86_400)

    static func sleep() -> HostFunction {
        .work { call in
            guard let given = call.number(1) else {
                throw LuaErrors.validation(function: "sleep", message:
                    "replicate.sleep needs a number of seconds, such as replicate.sleep(2), got \(Helpers.typeName(call, 1))")
            }
            let wait: Double
            do throws(BoundedNumberError) {
                wait = try seconds.check(given, name: "seconds")
            } catch {
                throw LuaErrors.validation(function: "sleep", message: "replicate.sleep: " + error.message)
            }
            // In range (at most a day), so the conversion to nanoseconds is exact enough and fits.
            let nanoseconds = UInt64(wait * 1e9)
            return HostWork(
                run: {
                    // Cancelled when the run ends (its limit, an error): the task stops waiting.
                    try await Task.sleep(nanoseconds: nanoseconds)
                    return []
                },
                inPlace: { stop in
                    try stop.sleep(wait)
                    return []
                })
        }
    }
}
