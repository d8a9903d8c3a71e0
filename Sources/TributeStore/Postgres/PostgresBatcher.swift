import Foundation
import TributeCore

/// Group commit on PostgreSQL: concurrent authorize calls of this instance, and the holds,
/// commits and releases of holds, are applied many at a time in one transaction
/// (`PostgresBatch`), so that many debits of one hot workspace pay one row-lock wait and
/// one commit between them rather than one each.
///
/// Workspaces are spread over `lanes` queues by a hash of their id (`PostgresLane`): one
/// workspace's calls always meet in one lane's batches, while unrelated workspaces' batches
/// run beside each other on their own connections instead of queueing behind one another.
/// Correctness does not rest on the lanes (the row locks and constraints do that, across
/// instances too); they only decide what is batched with what.
final class PostgresBatcher: Sendable {
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

    /// The default of `lanes`: on a small machine more lanes only add connections.
    static let defaultLanes = 4
    /// Calls queued in all lanes together before new ones are refused as overloaded.
    static let maxPending = 50_000

    private let database: PostgresDatabase
    let holdCache = PostgresHoldCache()
    private let clock: any WallClock
    private let lanes: [PostgresLane]
    private let metrics: BatchMetrics?
    /// `TRIBUTE_DEBUG_BATCHES=1` prints each batch's size and time to stderr.
    private let debugBatches = ProcessInfo.processInfo.environment["TRIBUTE_DEBUG_BATCHES"] != nil

    init(database: PostgresDatabase, clock: any WallClock, lanes: Int = PostgresBatcher.defaultLanes, metrics: BatchMetrics? = nil) {
        self.database = database
        self.clock = clock
        self.metrics = metrics
        let queued = PendingCount(limit: PostgresBatcher.maxPending)
        self.lanes = (0..<max(1, lanes)).map { _ in PostgresLane(queued: queued) }
    }

    /// Queues work for its workspace's lane: holds and their steps share the batches of
    /// debits (one lock wait and one commit for many). A step of a hold this instance does
    /// not know goes to the lane of the hold's id: its batch finds the workspace.
    func submit(_ work: Work, claim: IdempotencyClaim?) async throws -> AuthorizeOutcome {
        let ids = Kernel.Ids.make()
        let lane = lanes[laneIndex(of: work)]
        return try await withCheckedThrowingContinuation { continuation in
            lane.submit(Job(work: work, claim: claim, ids: ids, continuation: continuation))
        }
    }

    /// Runs every lane's workers until cancelled.
    func run() async {
        let (database, holdCache, clock, metrics, debugBatches) = (self.database, self.holdCache, self.clock, self.metrics, self.debugBatches)
        await withDiscardingTaskGroup { group in
            for lane in lanes {
                group.addTask {
                    await lane.run { batch in
                        let started = DispatchTime.now().uptimeNanoseconds
                        await PostgresBatch(database: database, jobs: batch, holdCache: holdCache).run(nowMillis: clock.nowMillis())
                        let elapsed = DispatchTime.now().uptimeNanoseconds &- started
                        metrics?.recordBatch(jobs: batch.count, nanoseconds: elapsed)
                        if debugBatches { FileHandle.standardError.write(Data("batch \(batch.count) \(elapsed / 1_000)us\n".utf8)) }
                    }
                }
            }
        }
    }

    /// Stops taking calls and waits until the queued ones are answered.
    func drain() async {
        await withDiscardingTaskGroup { group in
            for lane in lanes { group.addTask { await lane.drain() } }
        }
    }

    private func laneIndex(of work: Work) -> Int {
        guard lanes.count > 1 else { return 0 }
        let key: String
        if let request = work.request {
            key = request.workspaceId
        } else if let step = work.step {
            key = holdCache.entries([step.holdId])[step.holdId]?.hold.workspaceId ?? step.holdId
        } else {
            return 0
        }
        return Int(PostgresBatcher.fnv1a(key) % UInt64(lanes.count))
    }

    /// A hash that is the same in every process (Swift's `Hasher` is seeded per process):
    /// FNV-1a over the UTF-8 bytes.
    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }
}
