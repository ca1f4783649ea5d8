import Foundation
import KosmoJournal
import Replicate

/// Everything a host (the CLI, `exec`, `mcp`) decides about the `replicate` table: the
/// permission policy, file grants for the sandbox, the spend guard, tracing and progress.
///
/// Sources, lowest to highest: defaults, the config file, the environment, command-line flags
/// (docs/architecture.md, "Permission policy"). The command line builds one with
/// `ReplicateSettings.resolve(flags:…)` (in `KosmoCommandLine`); a session only reads it.
public struct ReplicateSettings: Sendable {
    public var policy = PermissionPolicy()
    /// Most predictions and trainings one run may create; nil is unlimited.
    public var maxPredictions: Int?
    /// Print each call to stderr as it happens.
    public var trace = false
    /// No progress line on stderr.
    public var quiet = false
    /// Most seconds of predict time (`metrics.predict_time`, as the API reports it for each run
    /// that ended) one run's predictions and trainings may use before it may create no more;
    /// nil is unlimited.
    public var maxPredictSeconds: Double?
    /// When the run fails or is stopped, cancel what it created that is still running
    /// (`--cancel-on-exit`; `exec` and `mcp` do it unless `keepRunning`).
    public var cancelOnExit = false
    /// `--keep-running`: `exec` and `mcp` leave what a failed or stopped run created running
    /// (and list it) instead of canceling it.
    public var keepRunning = false
    /// Who reads refusals: a person at a command line (they name the flags that allow the
    /// call) or an agent (they say to ask the person).
    public var audience: RefusalAudience = .person
    /// Run against the built-in simulator instead of the real API.
    public var simulate = false
    /// Directories the sandbox may read (`upload` from a path) and write (`download` to a path).
    public var allowRead: [String] = []
    public var allowWrite: [String] = []
    /// Hosts the sandbox may download from besides the API's own file hosts
    /// (`--allow-download-host`).
    public var allowDownloadHosts: [HostPattern] = []
    /// The API token and where it came from (for `doctor`); never shown.
    public var token: String?
    public var tokenSource: String?
    /// The API base URL.
    public var baseURL: URL = ReplicateConfiguration.defaultBaseURL
    /// Creates and other requests a minute the run sends at most (`--rate-creates`,
    /// `--rate-requests`, `[replicate] rate_creates` / `rate_requests`); the service's limits by default.
    public var rateLimits: RateLimits = .service
    /// Where every run's output files and its manifest line go (`--save DIR`); nil saves
    /// nothing unless a call asks (`opts.save`).
    public var saveDirectory: String?
    /// The config file that was read, if any.
    public var configPath: String?
    /// Where model versions' interfaces are kept between runs (`<dir>/<host>/<version>.json`),
    /// so a script run twice does not fetch a schema twice; nil keeps them for this run only.
    /// A version's schema never changes, so nothing there goes stale.
    public var schemaCache: URL?
    /// The journal of this run's creates (`--journal FILE`, the config file's `journal`, or
    /// `replicate.journal(path)`): a rerun reattaches to what it records instead of creating
    /// again. Nil keeps none.
    public var journalPath: String?
    /// Empty the journal before this run uses it (`--journal-reset`): start over.
    public var journalReset = false
    /// The script this run runs, which a journal belongs to; the host sets it.
    public var script: ScriptSource?
    /// Things worth telling the user once (a config file others can read…).
    public var warnings: [String] = []

    public init() {}

    /// The client configuration these settings describe.
    /// The run's memory limit, when it has one: no response body is read past it
    /// (`ReplicateConfiguration.maxResponseBytes`).
    public var memoryLimit: Int?

    public var clientConfiguration: ReplicateConfiguration {
        var configuration = ReplicateConfiguration(token: token, baseURL: baseURL, rateLimits: rateLimits)
        if let memoryLimit { configuration.maxResponseBytes = min(configuration.maxResponseBytes, max(1 << 20, memoryLimit)) }
        return configuration
    }

    /// Where `replicate.download` may fetch from: anywhere outside the sandbox; in it (agent
    /// code) only the API's file hosts and `--allow-download-host` ones.
    public func downloadHosts(sandboxed: Bool) -> DownloadHosts {
        sandboxed ? .replicateFiles(alsoAllowing: allowDownloadHosts) : .any
    }
}
