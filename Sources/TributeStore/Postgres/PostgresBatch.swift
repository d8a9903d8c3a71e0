import Logging
import PostgresNIO
import TributeCore

/// One batch of authorize calls, holds and steps of holds, applied in one PostgreSQL
/// transaction:
///
/// 1. take the holds the batch commits or releases from this instance's cache, or read
///    them (before any lock, and only for holds the cache lacks), for their workspaces,
/// 2. claim the idempotency keys (unique primary key; a key another transaction holds is
///    waited for, then replayed or refused),
/// 3. lock the batch's workspaces in id order (`FOR NO KEY UPDATE`: no deadlock between
///    batches, and no other instance can change these ledgers until the commit); for the
///    workspaces whose soonest hold expiry has passed, read the holds to settle (one round
///    trip, for those batches only),
/// 4. read their balances, grants, budgets, plans and the calls' costs in one query, and
///    whether a hold read before the locks has changed since (read again then),
/// 5. run every job through the kernel in memory, in order,
/// 6. write every row and balance change in one statement, and commit.
///
/// A call that fails (an unknown workspace, say) fails alone; a batch the database refuses
/// is retried whole when PostgreSQL broke a deadlock, and otherwise fails every caller.
struct PostgresBatch {
    let database: PostgresDatabase
    let jobs: [PostgresBatcher.Job]
    let holdCache: PostgresHoldCache

    func run(nowMillis: Int64) async {
        let (jobs, holdCache) = (self.jobs, self.holdCache)
        do {
            let applied = try await database.transaction { connection in
                try await PostgresBatch.apply(jobs, connection, holdCache: holdCache, nowMillis: nowMillis, logger: Logger(label: "tribute.batch"))
            }
            // Only once committed: the cache must never name a version no one can read.
            if let version = applied.version { holdCache.remember(applied.holds, version: version, nowMillis: nowMillis) }
            for (job, result) in zip(jobs, applied.results) { job.continuation.resume(with: result) }
        } catch {
            database.logger.error("authorize batch failed", metadata: ["jobs": "\(jobs.count)", "error": "\(describe(error))"])
            for job in jobs { job.continuation.resume(throwing: error) }
        }
    }

    typealias Results = [Result<AuthorizeOutcome, any Error>?]

    /// What a batch did: each job's answer, and the holds it wrote with their version.
    struct Applied: Sendable {
        var results: [Result<AuthorizeOutcome, any Error>]
        var holds: [HoldRecord]
        var version: String?
    }

    static func apply(
        _ jobs: [PostgresBatcher.Job], _ connection: PostgresConnection, holdCache: PostgresHoldCache, nowMillis: Int64, logger: Logger
    ) async throws -> Applied {
        var results = Results(repeating: nil, count: jobs.count)
        let (workspaceOf, steps) = try await resolveSteps(jobs, &results, connection, cache: holdCache)
        let keys = try await claimKeys(jobs, workspaceOf: workspaceOf, &results, connection, nowMillis: nowMillis, logger: logger)
        var state = try await load(
            jobs, workspaceOf: workspaceOf, results: results, steps: steps, holdCache: holdCache, connection, nowMillis: nowMillis, logger: logger)

        // 5. Every job, in order, against the state the previous ones left.
        var writes = PostgresBatchWrites(nowMillis: nowMillis)
        var answers: [KeyRef: AuthorizeOutcome] = [:]
        for (index, job) in jobs.enumerated() where results[index] == nil {
            guard let workspaceId = workspaceOf[index] else { continue }
            var keyRef: KeyRef?
            if let claim = job.claim {
                let key = KeyRef(workspaceId: workspaceId, key: claim.key)
                keyRef = key
                if let stored = keys.stored[key] {
                    // A key an earlier transaction holds: its answer, or a conflict.
                    if stored.requestHash != claim.requestHash {
                        results[index] = .failure(TributeError.idempotencyKeyReused)
                    } else if let answer = stored.answer {
                        results[index] = .success(answer)
                    } else if let first = keys.firstWithKey[key], first != index {
                        results[index] = results[first] ?? .failure(TributeError.idempotencyKeyReused)
                    }
                    if results[index] != nil { continue }
                }
                if let first = keys.firstWithKey[key], first != index {
                    // A repeat inside this batch: the first call's answer, or a conflict.
                    if jobs[first].claim?.requestHash != claim.requestHash {
                        results[index] = .failure(TributeError.idempotencyKeyReused)
                    } else if let answer = answers[key] {
                        results[index] = .success(AuthorizeOutcome(body: answer.body, replayed: true, approved: answer.approved))
                    } else {
                        results[index] = results[first] ?? .failure(TributeError.idempotencyKeyReused)
                    }
                    continue
                }
            }
            do {
                let (effects, outcome) = try state.run(job, workspaceId: workspaceId, nowMillis: nowMillis)
                writes.add(effects)
                if let keyRef {
                    answers[keyRef] = outcome
                    writes.answerKey(keyRef, outcome)
                }
                results[index] = .success(outcome)
            } catch {
                if let keyRef, keys.claimed.contains(keyRef) { writes.releaseKey(keyRef) }
                results[index] = .failure(error)
            }
        }
        for workspace in state.loaded.values where writes.changedWorkspaces.contains(workspace.state.id) {
            writes.finish(workspace.state, grants: workspace.grants)
        }
        for (key, stored) in state.budgets where writes.changedBudgets.contains(key) { writes.budget(key, stored) }

        // 6. One statement for every write of the batch.
        let version = try await writes.execute(connection, logger: logger)
        return Applied(results: results.map { $0 ?? .failure(TributeError.idempotencyKeyReused) }, holds: writes.writtenHolds, version: version)
    }
}

/// A workspace and an idempotency key or budget scope in it.
struct KeyRef: Hashable, Sendable {
    var workspaceId: String
    var key: String
}

