import Logging
import ServiceLifecycle
import TributeCore
import TributeStore

/// The background upkeep every `tribute serve` runs once a minute, so that nothing a
/// client does can grow without bound (SPEC §3.3):
///
/// - Idempotency keys older than their time to live are deleted. A key is kept at least
///   `ttlMillis`: within it a retry replays as before; after it and the next sweep, the
///   same key is a new request.
/// - System accounts past their threshold are netted (`SystemNetting`), so that shared
///   lifetime counters never refuse a tenant's call.
/// - Every `checkpointMillis` (when set), a ledger checkpoint records every decision chain's
///   head and sends `ledger.checkpoint` events, so its digest is kept outside the database.
///
/// Every instance runs it; each task is safe to run twice at once.
public struct Housekeeping: Service {
    let store: any LedgerWriting & StoreOperations
    let ttlMillis: Int64
    let intervalMillis: Int64
    /// `nil`: no checkpoints are taken by the server.
    let checkpointMillis: Int64?
    let logger: Logger

    /// Keys deleted per statement, so that one sweep never holds the writer for long.
    static let chunk = 5_000
    public static let defaultTTLDays: Int64 = 7

    public init(store: any LedgerWriting & StoreOperations, idempotencyTTLDays: Int64 = defaultTTLDays, intervalMillis: Int64 = 60_000, checkpointMinutes: Int64? = nil, logger: Logger) {
        self.store = store
        self.checkpointMillis = checkpointMinutes.map { $0 * 60_000 }
        self.ttlMillis = idempotencyTTLDays * 86_400_000
        self.intervalMillis = max(10, intervalMillis)
        self.logger = logger
    }

    /// Runs until the service group shuts down; a shutdown is a normal end, not an error.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            // The first checkpoint comes at start: a server restarted more often than the
            // interval still takes them.
            var lastCheckpointMillis = store.nowMillis() - (checkpointMillis ?? 0)
            while !Task.isCancelled {
                await sweepIdempotencyKeys()
                await netSystemAccounts()
                if let checkpointMillis, store.nowMillis() - lastCheckpointMillis >= checkpointMillis {
                    lastCheckpointMillis = store.nowMillis()
                    await recordCheckpoint()
                }
                try? await Task.sleep(for: .milliseconds(intervalMillis))
            }
        }
    }

    /// Deletes every expired key, a chunk at a time; a database fault waits for the next round.
    func sweepIdempotencyKeys() async {
        let cutoff = store.nowMillis() - ttlMillis
        var deleted = 0
        do {
            while !Task.isCancelled {
                let count = try await store.expireIdempotencyKeys(createdBeforeMillis: cutoff, limit: Housekeeping.chunk)
                deleted += count
                if count < Housekeeping.chunk { break }
            }
        } catch {
            logger.warning("idempotency sweep failed", metadata: ["error": "\(type(of: error))"])
        }
        if deleted > 0 { logger.info("idempotency keys expired", metadata: ["count": "\(deleted)"]) }
    }

    func netSystemAccounts() async {
        do {
            if try await store.netSystemAccounts() { logger.info("system accounts netted") }
        } catch {
            logger.warning("system account netting failed", metadata: ["error": "\(type(of: error))"])
        }
    }

    func recordCheckpoint() async {
        do {
            let checkpoint = try await store.recordCheckpoint()
            logger.info("ledger checkpoint", metadata: ["chains": "\(checkpoint.heads.count)", "digest": "\(checkpoint.digest)"])
        } catch {
            logger.warning("ledger checkpoint failed", metadata: ["error": "\(type(of: error))"])
        }
    }
}
