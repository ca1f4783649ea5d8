import Foundation
import NIOConcurrencyHelpers

/// Faults to inject into `/v1` responses, parsed from `429:0.1,503:0.05,reset:0.02,latency:20ms,malformed:0.01`
/// (and, for creates only, `cut:0.2,cut-delay:2s`).
public struct FaultSpec: Sendable, Equatable, CustomStringConvertible {
    /// Probability (0...1) of answering 429 with `Retry-After: 1`.
    public var throttle: Double = 0
    /// Probability of answering 503.
    public var unavailable: Double = 0
    /// Probability of carrying the request out and then dropping the connection in the middle of
    /// the response (a create whose answer is lost).
    public var reset: Double = 0
    /// Probability of a 200 with a truncated, unparseable JSON body.
    public var malformed: Double = 0
    /// Extra delay added to every response.
    public var latency: Duration = .zero
    /// Probability that a create (a POST that makes a prediction or training) is carried out —
    /// the prediction exists — and its answer's body held back for `cutDelay`, then the
    /// connection cut before any of it: the window in which a client has sent a create and
    /// knows nothing of what it made.
    /// Drawn from a generator of its own, so adding it leaves the other faults' sequence as it was.
    public var cut: Double = 0
    /// How long a cut create's answer is held back before the connection is cut.
    public var cutDelay: Duration = .seconds(1)

    /// No faults.
    public static let none = FaultSpec()

    public init() {}

    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public let description: String
    }

    /// Parses a comma-separated spec; throws naming the part it could not read.
    public init(parsing spec: String) throws {
        self.init()
        for rawPart in spec.split(separator: ",") {
            let part = rawPart.trimmingCharacters(in: .whitespaces)
            if part.isEmpty { continue }
            let kv = part.split(separator: ":", maxSplits: 1).map { String($0).trimmingCharacters(in: .whitespaces) }
            guard kv.count == 2 else {
                throw ParseError(description: "fault '\(part)': expected KIND:VALUE (e.g. 429:0.1 or latency:20ms)")
            }
            let (kind, value) = (kv[0].lowercased(), kv[1])
            if kind == "latency" {
                self.latency = try Self.duration(value, part: part)
                continue
            }
            if kind == "cut-delay" {
                self.cutDelay = try Self.duration(value, part: part)
                continue
            }
            guard let p = Double(value), p >= 0, p <= 1 else {
                throw ParseError(description: "fault '\(part)': probability '\(value)' must be a number between 0 and 1")
            }
            switch kind {
            case "429": throttle = p
            case "503": unavailable = p
            case "reset": reset = p
            case "malformed": malformed = p
            case "cut": cut = p
            default:
                throw ParseError(description: "fault '\(part)': unknown kind '\(kind)' (use 429, 503, reset, malformed, latency, cut, cut-delay)")
            }
        }
        if throttle + unavailable + reset + malformed > 1 {
            throw ParseError(description: "faults '\(spec)': probabilities add up to more than 1")
        }
    }

    static func duration(_ s: String, part: String) throws -> Duration {
        // At most a minute: checked before the conversion, which traps on NaN, infinity or a
        // value beyond Int64.
        func milliseconds(_ n: Double) -> Duration? {
            n.isFinite && n >= 0 && n <= 60_000 ? .milliseconds(Int64(n)) : nil
        }
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1)]
        for (suffix, scale) in units where s.hasSuffix(suffix) {
            if let n = Double(s.dropLast(suffix.count)), let duration = milliseconds(n * scale * 1000) { return duration }
        }
        if let n = Double(s), let duration = milliseconds(n) { return duration }
        throw ParseError(description: "fault '\(part)': latency '\(s)' must look like 20ms or 1.5s (at most 60s)")
    }

    public var description: String {
        "429:\(throttle),503:\(unavailable),reset:\(reset),malformed:\(malformed),latency:\(latency),cut:\(cut),cut-delay:\(cutDelay)"
    }

    var isNone: Bool { throttle == 0 && unavailable == 0 && reset == 0 && malformed == 0 && latency == .zero && cut == 0 }
}

enum Fault: Equatable { case throttle, unavailable, reset, malformed }

/// Draws faults from one seeded generator: the n-th `/v1` request gets the same fault on
/// every run with the same seed.
final class FaultInjector: Sendable {
    let spec: FaultSpec
    private let rng: NIOLockedValueBox<SplitMix64>
    /// The creates' own draws for `cut`.
    private let createRng: NIOLockedValueBox<SplitMix64>

    init(spec: FaultSpec, seed: UInt64) {
        self.spec = spec
        self.rng = NIOLockedValueBox(SplitMix64(seed: seed))
        self.createRng = NIOLockedValueBox(SplitMix64(seed: seed ^ 0x6375_745f_6661_756c))
    }

    /// Whether this create's answer is held back and cut (`FaultSpec.cut`).
    func drawCut() -> Bool {
        guard spec.cut > 0 else { return false }
        return createRng.withLockedValue { Double($0.next() >> 11) / Double(1 << 53) } < spec.cut
    }

    func draw() -> Fault? {
        if spec.throttle + spec.unavailable + spec.reset + spec.malformed == 0 { return nil }
        let x = rng.withLockedValue { Double($0.next() >> 11) / Double(1 << 53) }
        var edge = spec.throttle
        if x < edge { return .throttle }
        edge += spec.unavailable
        if x < edge { return .unavailable }
        edge += spec.reset
        if x < edge { return .reset }
        edge += spec.malformed
        if x < edge { return .malformed }
        return nil
    }
}
