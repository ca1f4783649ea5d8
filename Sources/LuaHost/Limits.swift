/// Resource limits for one VM. `nil` means unlimited.
public struct Limits: Sendable, Equatable {
    /// Bytes the Lua allocator may hold at once.
    public var memoryBytes: Int?
    /// VM instructions, counted in steps of the hook interval (1,000).
    public var instructions: UInt64?
    /// Wall-clock seconds from the start of a run.
    public var timeoutSeconds: Double?
    /// Bytes of printed output kept; the rest is dropped and marked truncated.
    public var outputBytes: Int?
    /// Bytes of JSON an agent envelope's `result` may take; past them it is cut and marked
    /// `result_truncated` (`LuaVM.runForEnvelope`). Not a limit of the VM itself.
    public var resultBytes: Int?

    public init(memoryBytes: Int? = nil, instructions: UInt64? = nil, timeoutSeconds: Double? = nil, outputBytes: Int? = nil,
                resultBytes: Int? = nil) {
        self.memoryBytes = memoryBytes
        self.instructions = instructions
        self.timeoutSeconds = timeoutSeconds
        self.outputBytes = outputBytes
        self.resultBytes = resultBytes
    }

    /// No limits: what `lua5.4` has.
    public static let none = Limits()
    /// The sandbox's defaults: 64 MiB, 30 s, 64 KiB of output, 64 KiB of result.
    public static let sandboxDefaults = Limits(memoryBytes: 64 << 20, timeoutSeconds: 30, outputBytes: 64 << 10, resultBytes: 64 << 10)
}

/// Which standard libraries a VM offers.
public enum Profile: String, Sendable {
    /// All of Lua's standard libraries, as `lua5.4` has them.
    case standard
    /// An allow-list (docs/architecture.md, rule 4): base (no `dofile`, `loadfile`, binary chunks, `collectgarbage`
    /// beyond `"count"`), `coroutine`, `table`, `string` (no `dump`), `math`, `utf8`, and `os`
    /// with `clock`, `time`, `date`, `difftime`. Library tables are read-only.
    case sandbox
}
