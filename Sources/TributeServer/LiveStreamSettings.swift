/// How many live streams (`GET /v1/workspaces/{id}/events`) may be open, for how long, and
/// how often their shared readers look at the database (SPEC §3.3).
///
/// `tribute serve` reads `TRIBUTE_STREAMS_PER_KEY`, `TRIBUTE_STREAMS_MAX`,
/// `TRIBUTE_STREAM_MAX_SECONDS` and `TRIBUTE_STREAM_REPLAY_MAX`; the rest are for tests.
public struct LiveStreamSettings: Sendable {
    /// Streams one API key (or dashboard sign-in of that key) may hold open at once.
    public var maxPerKey: Int
    /// Streams the whole server holds open at once.
    public var maxOpen: Int
    /// A stream ends cleanly after this long; the client reconnects with `Last-Event-ID`.
    /// One whose client is not reading is cut (its connection closed) a re-check later.
    public var maxDurationSeconds: Int64
    /// How often a workspace's reader asks the database for changes.
    public var pollMillis: Int64
    /// How often every stream's watchdog re-checks its key (and its age), so that a revoked
    /// key's stream ends within about this long — within twice this long, its connection
    /// closed, when its client is not reading.
    public var keyCheckMillis: Int64
    /// A stream that wrote nothing for this long writes a comment line: proxies keep it
    /// open, and a client that left is found (and its slot freed) at that write.
    public var keepAliveSeconds: Int64
    /// The most events and decisions a stream replays from the store to catch up (a resume
    /// from an older `Last-Event-ID`, or a client too slow for the shared feed). Further
    /// back, it sends `reset` and the balances now, and goes on from now.
    public var maxReplayItems: Int
    /// What the streams did, for tests and monitoring.
    public let counters: LiveStreamCounters

    public init(
        maxPerKey: Int = 16, maxOpen: Int = 1_000, maxDurationSeconds: Int64 = 3_600,
        pollMillis: Int64 = 250, keyCheckMillis: Int64 = 2_000, keepAliveSeconds: Int64 = 15, maxReplayItems: Int = 1_000,
        counters: LiveStreamCounters = LiveStreamCounters()
    ) {
        precondition(maxPerKey >= 1 && maxOpen >= 1 && maxReplayItems >= 1, "stream caps are at least 1")
        precondition(maxDurationSeconds >= 1 && pollMillis >= 1 && keyCheckMillis >= 1 && keepAliveSeconds >= 1, "stream times are positive")
        self.maxPerKey = maxPerKey
        self.maxOpen = maxOpen
        self.maxDurationSeconds = maxDurationSeconds
        self.pollMillis = pollMillis
        self.keyCheckMillis = keyCheckMillis
        self.keepAliveSeconds = keepAliveSeconds
        self.maxReplayItems = maxReplayItems
        self.counters = counters
    }

    /// 16 per key, 1,000 per server, one hour, four database polls a second per workspace,
    /// replays of at most 1,000 events and decisions.
    public static var standard: LiveStreamSettings { LiveStreamSettings() }
}
