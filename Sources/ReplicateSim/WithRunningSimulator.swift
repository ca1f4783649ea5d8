extension Simulator {
    /// Starts a simulator with `options`, runs `body` with it, and shuts it down whether `body`
    /// returns or throws (a `start()` that throws has nothing to shut down).
    ///
    /// ```swift
    /// let models = try await Simulator.withRunning(options) { sim in try await list(sim.baseURL) }
    /// ```
    public static func withRunning<T>(_ options: SimulatorOptions, _ body: (Simulator) async throws -> T) async throws -> T {
        let sim = Simulator(options: options)
        try await sim.start()
        do {
            let result = try await body(sim)
            await sim.shutdown()
            return result
        } catch {
            await sim.shutdown()
            throw error
        }
    }
}
