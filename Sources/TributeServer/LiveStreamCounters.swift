import TributeCore

/// Running totals of the live streams of one application: what tests check (one database
/// reader per workspace however many streams watch it) and what an operator may watch.
// `values` is only touched under `lock`.
public final class LiveStreamCounters: @unchecked Sendable {
    /// A snapshot of the counters.
    public struct Values: Sendable, Equatable {
        /// Streams open now.
        public var openStreams = 0
        /// Workspace readers running now (one per workspace with at least one stream).
        public var runningReaders = 0
        /// Workspace readers started since the application started.
        public var startedReaders = 0
        /// Polls of the database by workspace readers.
        public var readerPolls = 0
        /// Reads of the database by single streams catching up to their workspace's reader
        /// (a client resuming from an older position, or one too slow for the shared feed).
        public var catchUpReads = 0
        /// Streams whose current write has waited at least one re-check interval: their
        /// clients are not reading (seen by each stream's watchdog).
        public var stalledStreams = 0
        /// Streams ended by closing their connection: they had to end (key revoked, time
        /// limit, shutdown) but were held by a write their client did not take.
        public var cutStreams = 0
        /// Catch-ups not replayed because they reached back further than
        /// `LiveStreamSettings.maxReplayItems`: the stream sent `reset` and went on from now.
        public var replayResets = 0
        /// Times a catch-up waited for its key's rate limit before reading a page.
        public var replayWaits = 0
    }

    private let lock = Lock()
    private var values = Values()

    public init() {}

    public var current: Values { lock.withLock { values } }

    func update(_ change: (inout Values) -> Void) {
        lock.withLock { change(&values) }
    }
}
