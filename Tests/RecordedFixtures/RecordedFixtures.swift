import Foundation

/// The recorded API exchanges both the client's and the simulator's tests read: one folder,
/// so the two suites always test against the same traffic.
public enum RecordedFixtures {
    /// The folder of recorded exchanges (`recorded/*.json`).
    public static var directory: URL? {
        Bundle.module.url(forResource: "recorded", withExtension: nil)
    }

    /// The recording named `name` (such as `predictions-get.json`).
    public static func url(_ name: String) -> URL? {
        directory?.appendingPathComponent(name)
    }
}
