import TributeCore

/// Where a store's group-commit writer reports each batch it commits: how many jobs it held
/// and how long the writer spent on it (its transaction, the commit's fsync, resuming its
/// callers). The server turns the reports into `tribute_batch_size{backend}` and
/// `tribute_batch_commit_seconds{backend}` (docs/operations.md).
///
/// The store owns it and the server connects a recorder to it (`connect`), so that the store
/// needs no metrics library and a store opened before the server (by `tribute serve`) is
/// wired the same way as one a test makes. Unconnected, a report costs one lock and nothing
/// else. One report per batch, never per job; no allocation.
///
/// Backends report from their own writer: SQLite's `BatchWriter` once per batch after its
/// transaction ends (committed or not), and each lane of `PostgresBatcher` once per batch
/// after `PostgresBatch.run` returns.
public final class BatchMetrics: Sendable {
    /// Receives one batch: its jobs and the writer's time on it in nanoseconds.
    public typealias Recorder = @Sendable (_ jobs: Int, _ nanoseconds: UInt64) -> Void

    /// The `backend` label of the batch metrics: `sqlite` or `postgres`.
    public let backend: String
    private let lock = Lock()
    // Guarded by `lock`.
    nonisolated(unsafe) private var recorder: Recorder?

    public init(backend: String) {
        self.backend = backend
    }

    /// Sends every later batch to `recorder`, in place of any recorder connected before
    /// (the last application built over the store wins).
    public func connect(_ recorder: @escaping Recorder) {
        lock.withLock { self.recorder = recorder }
    }

    /// Reports one batch; called by the writer once per batch, from its own thread or task.
    public func recordBatch(jobs: Int, nanoseconds: UInt64) {
        // Called outside the lock: a recorder takes locks of its own.
        guard let recorder = lock.withLock({ self.recorder }) else { return }
        recorder(jobs, nanoseconds)
    }
}
