import TributeCore

/// One queue of `PostgresBatcher`: its jobs are taken up to `maxBatchSize` at a time and
/// applied in one transaction (`PostgresBatch`). Two batches of a lane may be in flight at
/// once: the next one claims its keys and waits for the workspace locks while the previous
/// one commits. Lanes run beside each other, each on connections of its own.
final class PostgresLane: @unchecked Sendable {
    typealias Job = PostgresBatcher.Job

    private let lock = Lock()
    // Guarded by `lock`.
    private var pending: [Job] = []
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var stopped = false
    private var inFlight = 0
    private var drained: [CheckedContinuation<Void, Never>] = []

    let maxBatchSize = 512
    /// Calls queued in every lane of the batcher, bounded together.
    let queued: PendingCount
    /// Batches of a lane in flight at once, each on a connection.
    static let workers = 2
    /// A second batch starts while one is in flight only with this many calls waiting:
    /// batches of one hot workspace run one after the other (the row lock), so a second
    /// batch started with a handful of calls would hold back every call that arrives after.
    let overlapThreshold = 128

    init(queued: PendingCount) {
        self.queued = queued
    }

    /// Queues a job for the lane's next batch.
    func submit(_ job: Job) {
        let result: (accepted: Bool, waiter: CheckedContinuation<Void, Never>?) = lock.withLock {
            guard !stopped else { return (false, nil) }
            guard queued.take() else { return (false, nil) }
            pending.append(job)
            return (true, waiters.popLast())
        }
        guard result.accepted else {
            job.continuation.resume(throwing: lock.withLock { stopped } ? StoreUnavailable() : TributeError.overloaded)
            return
        }
        result.waiter?.resume()
    }

    /// Runs the workers until cancelled, each applying its batches with `apply`.
    func run(_ apply: @escaping @Sendable ([Job]) async -> Void) async {
        await withDiscardingTaskGroup { group in
            for _ in 0..<PostgresLane.workers {
                group.addTask { await self.work(apply) }
            }
        }
        // Cancelled without a drain: whatever is still queued is answered, not forgotten.
        let left: [Job] = lock.withLock {
            stopped = true
            defer { pending.removeAll() }
            return pending
        }
        queued.give(left.count)
        for job in left { job.continuation.resume(throwing: StoreUnavailable()) }
    }

    /// Stops taking calls and waits until the queued ones are answered.
    func drain() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done: Bool = lock.withLock {
                stopped = true
                if pending.isEmpty && inFlight == 0 { return true }
                drained.append(continuation)
                return false
            }
            if done { continuation.resume() }
            for waiter in lock.withLock({ () -> [CheckedContinuation<Void, Never>] in defer { waiters.removeAll() }; return waiters }) { waiter.resume() }
        }
    }

    private func work(_ apply: @escaping @Sendable ([Job]) async -> Void) async {
        while true {
            guard let batch = await nextBatch() else { return }
            await apply(batch)
            let (finished, idle): ([CheckedContinuation<Void, Never>], CheckedContinuation<Void, Never>?) = lock.withLock {
                inFlight -= 1
                // A worker held back by `overlapThreshold` may go now.
                let idle = pending.isEmpty ? nil : waiters.popLast()
                guard stopped, pending.isEmpty, inFlight == 0 else { return ([], idle) }
                defer { drained.removeAll() }
                return (drained, idle)
            }
            idle?.resume()
            for continuation in finished { continuation.resume() }
        }
    }

    /// The next batch, waiting for work; `nil` once cancelled or stopped with nothing left.
    private func nextBatch() async -> [Job]? {
        while true {
            let batch: [Job]? = lock.withLock {
                guard !pending.isEmpty, inFlight == 0 || pending.count >= overlapThreshold else { return nil }
                let take = min(pending.count, maxBatchSize)
                let batch = Array(pending.prefix(take))
                pending.removeFirst(take)
                inFlight += 1
                return batch
            }
            if let batch {
                queued.give(batch.count)
                return batch
            }
            if Task.isCancelled || lock.withLock({ stopped }) { return nil }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let ready: Bool = lock.withLock {
                        // Checked under the lock: a cancellation that came before the
                        // waiter is listed finds no waiter to wake.
                        if stopped || Task.isCancelled || (!pending.isEmpty && (inFlight == 0 || pending.count >= overlapThreshold)) { return true }
                        waiters.append(continuation)
                        return false
                    }
                    if ready { continuation.resume() }
                }
            } onCancel: {
                for waiter in lock.withLock({ () -> [CheckedContinuation<Void, Never>] in defer { waiters.removeAll() }; return waiters }) { waiter.resume() }
            }
        }
    }
}

/// A count shared by the lanes of one batcher: how many calls wait in all of them, so that
/// the bound on queued calls holds for the instance, however they spread.
final class PendingCount: @unchecked Sendable {
    let limit: Int
    private let lock = Lock()
    // Guarded by `lock`.
    private var count = 0

    init(limit: Int) {
        self.limit = limit
    }

    /// Counts one more queued call, unless the limit is reached.
    func take() -> Bool {
        lock.withLock {
            guard count < limit else { return false }
            count += 1
            return true
        }
    }

    /// Counts `calls` as no longer queued.
    func give(_ calls: Int) {
        lock.withLock { count = max(0, count - calls) }
    }
}
