import Foundation
import GRDB
import GRDBSQLite

/// The one writer of a SQLite database: group commit.
///
/// Callers enqueue work; a dedicated thread takes up to `maxBatchSize` jobs at a time,
/// runs them in order inside one immediate transaction (each in its own savepoint, so a job
/// that throws rolls back only its own writes; authorize jobs need none, see `HotState`),
/// commits once — one fsync — and only then resumes every caller. A caller is never answered before its writes are durable.
final class BatchWriter: @unchecked Sendable {
    /// Runs inside the batch transaction; returns what to do once the batch has committed.
    typealias Work = (Database) throws -> @Sendable () -> Void
    private struct Job {
        let work: Work
        let fail: @Sendable (Error) -> Void
        /// Whether the job goes through `hot` (authorize) rather than plain SQL.
        let usesHotState: Bool
    }

    private let writer: DatabasePool
    /// The in-memory state of authorize jobs; see `HotState`.
    let hot = HotState()
    private let maxBatchSize: Int
    private let maxPending: Int
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var pending: [Job] = []
    private var stopped = false
    /// `TRIBUTE_DEBUG_BATCHES=1` prints each batch's size and time to stderr.
    private let debugBatches = ProcessInfo.processInfo.environment["TRIBUTE_DEBUG_BATCHES"] != nil
    /// Told each batch's size and time, once per batch.
    private let metrics: BatchMetrics?

    init(writer: DatabasePool, maxBatchSize: Int = 512, maxPending: Int = 50_000, metrics: BatchMetrics? = nil) {
        self.writer = writer
        self.maxBatchSize = maxBatchSize
        self.maxPending = maxPending
        self.metrics = metrics
        // The thread keeps the writer alive until `stop()` lets it finish its queue and exit.
        let thread = Thread { self.run() }
        thread.name = "tribute-writer"
        thread.start()
    }

    /// Runs `body` in the next batch and returns its result once that batch is durable.
    /// - Throws: what `body` threw (its writes rolled back), `WriterError.overloaded` when
    ///   the queue is full, or the commit's error.
    func write<T: Sendable>(usesHotState: Bool = false, _ body: @escaping (Database) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
            let job = Job(
                work: { db in
                    let value = try body(db)
                    return { continuation.resume(returning: value) }
                },
                fail: { continuation.resume(throwing: $0) },
                usesHotState: usesHotState)
            condition.lock()
            if stopped || pending.count >= maxPending {
                condition.unlock()
                job.fail(stopped ? WriterError.stopped : WriterError.overloaded)
                return
            }
            pending.append(job)
            condition.signal()
            condition.unlock()
        }
    }

    /// Finishes the queued work and stops the thread.
    func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while pending.isEmpty && !stopped { condition.wait() }
            if pending.isEmpty && stopped {
                condition.unlock()
                return
            }
            let take = min(pending.count, maxBatchSize)
            let batch = Array(pending.prefix(take))
            pending.removeFirst(take)
            condition.unlock()
            let started = DispatchTime.now().uptimeNanoseconds
            apply(batch)
            let nanoseconds = DispatchTime.now().uptimeNanoseconds - started
            metrics?.recordBatch(jobs: batch.count, nanoseconds: nanoseconds)
            if debugBatches {
                FileHandle.standardError.write(Data("batch \(batch.count) \(nanoseconds / 1000)us\n".utf8))
            }
        }
    }

    private func apply(_ batch: [Job]) {
        var completions: [@Sendable () -> Void] = []
        var failures: [(Job, Error)] = []
        completions.reserveCapacity(batch.count)
        do {
            try writer.writeWithoutTransaction { db in
                try db.inTransaction(.immediate) {
                    let savepoint = try db.cachedStatement(sql: "SAVEPOINT job")
                    let release = try db.cachedStatement(sql: "RELEASE job")
                    let rollback = try db.cachedStatement(sql: "ROLLBACK TO job")
                    for job in batch {
                        if job.usesHotState {
                            // A hot job keeps its changes in memory until it succeeds and
                            // writes at most one row itself, last: nothing to roll back.
                            do {
                                completions.append(try job.work(db))
                            } catch {
                                failures.append((job, error))
                                // Some SQLite errors (disk full, I/O) end the transaction
                                // itself; then the batch as a whole has failed.
                                guard sqlite3_get_autocommit(db.sqliteConnection) == 0 else { throw error }
                            }
                            continue
                        }
                        try hot.flush(db)
                        hot.invalidate()
                        try savepoint.execute()
                        do {
                            completions.append(try job.work(db))
                            try release.execute()
                        } catch {
                            try rollback.execute()
                            try release.execute()
                            failures.append((job, error))
                        }
                        hot.invalidate()
                    }
                    try hot.flush(db)
                    return .commit
                }
            }
        } catch {
            // Nothing of the batch was written: every caller learns so, and the cache,
            // which may hold the batch's effects, is dropped.
            hot.invalidate()
            for job in batch { job.fail(error) }
            return
        }
        for completion in completions { completion() }
        for (job, error) in failures { job.fail(error) }
    }
}

/// Faults of the writer itself.
enum WriterError: Error {
    case overloaded
    case stopped
}
