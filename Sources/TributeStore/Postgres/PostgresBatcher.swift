import Logging
import PostgresNIO
import TributeCore

/// Group commit on PostgreSQL: concurrent authorize calls of this instance, and the holds,
/// commits and releases of holds, are taken up to `maxBatchSize` at a time and applied in
/// one transaction (`PostgresBatch`), so that many debits of one hot workspace pay one
/// row-lock wait and one commit between them rather than one each. Two batches may be in flight at once: the next one claims its keys and
/// waits for the workspace locks while the previous one commits.
final class PostgresBatcher: @unchecked Sendable {
    struct Job {
        let work: Work
        let claim: IdempotencyClaim?
        let ids: Kernel.Ids
        let continuation: CheckedContinuation<AuthorizeOutcome, any Error>
    }

    /// What a job asks for (SPEC §2, §3.1).
    enum Work: Sendable {
        case authorize(AuthorizeRequest)
        /// A call held instead of spent, for `ttlSeconds`, as the hold the caller named.
        case hold(AuthorizeRequest, ttlSeconds: Int64, holdId: String)
        /// `canAccess` tells whether the caller may touch the hold's workspace.
        case commit(HoldCommit, canAccess: @Sendable (String) -> Bool)
        case release(holdId: String, canAccess: @Sendable (String) -> Bool)

        /// The call priced, for an authorize call or a hold.
        var request: AuthorizeRequest? {
            switch self {
            case .authorize(let request), .hold(let request, _, _): request
            case .commit, .release: nil
            }
        }

        /// The hold moved, for a commit or a release, and who may move it.
        var step: (holdId: String, canAccess: @Sendable (String) -> Bool)? {
            switch self {
            case .authorize, .hold: nil
            case .commit(let commit, let canAccess): (commit.holdId, canAccess)
            case .release(let holdId, let canAccess): (holdId, canAccess)
            }
        }
    }

    private let database: PostgresDatabase
    let holdCache = PostgresHoldCache()
    private let clock: any WallClock
    private let lock = Lock()
    // Guarded by `lock`.
    private var pending: [Job] = []
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var stopped = false
    private var inFlight = 0
    private var drained: [CheckedContinuation<Void, Never>] = []

    let maxBatchSize = 512
    let maxPending = 50_000
    let workers = 2
    /// A second batch starts while one is in flight only with this many calls waiting:
    /// batches of one hot workspace run one after the other (the row lock), so a second
    /// batch started with a handful of calls would hold back every call that arrives after.
    let overlapThreshold = 128

    init(database: PostgresDatabase, clock: any WallClock) {
        self.database = database
        self.clock = clock
    }

    /// Queues work for the next batch: holds and their steps share the batches of debits
    /// (one lock wait and one commit for many).
    func submit(_ work: Work, claim: IdempotencyClaim?) async throws -> AuthorizeOutcome {
        let ids = Kernel.Ids.make()
        return try await withCheckedThrowingContinuation { continuation in
            let job = Job(work: work, claim: claim, ids: ids, continuation: continuation)
            let result: (accepted: Bool, waiter: CheckedContinuation<Void, Never>?) = lock.withLock {
                guard !stopped else { return (false, nil) }
                guard pending.count < maxPending else { return (false, nil) }
                pending.append(job)
                return (true, waiters.popLast())
            }
            guard result.accepted else {
                continuation.resume(throwing: lock.withLock { stopped } ? StoreUnavailable() : TributeError.overloaded)
                return
            }
            result.waiter?.resume()
        }
    }

    /// Runs the workers until cancelled.
    func run() async {
        await withDiscardingTaskGroup { group in
            for _ in 0..<workers {
                group.addTask { await self.work() }
            }
        }
        // Cancelled without a drain: whatever is still queued is answered, not forgotten.
        let left: [Job] = lock.withLock {
            stopped = true
            defer { pending.removeAll() }
            return pending
        }
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

    private func work() async {
        while true {
            guard let batch = await nextBatch() else { return }
            await PostgresBatch(database: database, jobs: batch, holdCache: holdCache).run(nowMillis: clock.nowMillis())
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
            if let batch { return batch }
            if Task.isCancelled || lock.withLock({ stopped }) { return nil }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let ready: Bool = lock.withLock {
                        if stopped || (!pending.isEmpty && (inFlight == 0 || pending.count >= overlapThreshold)) { return true }
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
