import Logging
import ServiceLifecycle
import TributeCore
import TributeStore

/// Deletes idempotency keys older than their time to live, so that the table, and the
/// memory and disk it costs, stay bounded whatever keys callers send (SPEC §3.3). A key is
/// kept at least `ttlMillis`: within it a retry replays as before; after it and the next
/// sweep, the same key is a new request. Every instance sweeps; deletes are idempotent.
public struct IdempotencySweeper: Service {
    let store: any TributeStore
    let ttlMillis: Int64
    let intervalMillis: Int64
    let logger: Logger

    /// Keys deleted per statement, so that one sweep never holds the writer for long.
    static let chunk = 5_000
    public static let defaultTTLDays: Int64 = 7

    public init(store: any TributeStore, ttlDays: Int64 = defaultTTLDays, intervalMillis: Int64 = 60_000, logger: Logger) {
        self.store = store
        self.ttlMillis = ttlDays * 86_400_000
        self.intervalMillis = max(10, intervalMillis)
        self.logger = logger
    }

    /// Runs until the service group shuts down; a shutdown is a normal end, not an error.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await sweep()
                try? await Task.sleep(for: .milliseconds(intervalMillis))
            }
        }
    }

    /// Deletes every expired key, a chunk at a time; a database fault waits for the next round.
    func sweep() async {
        let cutoff = store.nowMillis() - ttlMillis
        var deleted = 0
        do {
            while !Task.isCancelled {
                let count = try await store.expireIdempotencyKeys(createdBeforeMillis: cutoff, limit: IdempotencySweeper.chunk)
                deleted += count
                if count < IdempotencySweeper.chunk { break }
            }
        } catch {
            logger.warning("idempotency sweep failed", metadata: ["error": "\(type(of: error))"])
        }
        if deleted > 0 { logger.info("idempotency keys expired", metadata: ["count": "\(deleted)"]) }
    }
}
