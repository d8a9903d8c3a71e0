import GRDB
import TributeCore

/// The embedded store: one SQLite file in WAL mode, `synchronous = FULL`, every write
/// through one `BatchWriter`.
public final class SQLiteStore: TributeStore, @unchecked Sendable {
    let pool: DatabasePool
    let writer: BatchWriter
    private let checkpointer: Checkpointer
    let clock: any WallClock
    let keyCache = PrincipalCache()
    /// The database file.
    public let path: String
    /// Where the writer reports each group commit (`backend` "sqlite").
    public let batchMetrics: BatchMetrics?

    /// Opens (creating if needed) and migrates the database at `path`.
    /// - Parameter maxBatchSize: jobs per group commit; 1 makes every write its own
    ///   transaction (the benchmark's baseline).
    public init(path: String, clock: any WallClock = SystemClock(), maxBatchSize: Int = 512) throws {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.maximumReaderCount = 4
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA foreign_keys = ON")
            // Each job of a batch runs in a savepoint; its undo journal stays in memory
            // rather than in a temporary file written page by page.
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
            // 8 MiB of pages per connection: the hot path appends and keeps its state in
            // `HotState`, so more cache only grows the process with the database (64 MiB
            // made resident memory climb for the first 100,000 debits; docs/limits.md).
            try db.execute(sql: "PRAGMA cache_size = -8192")
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        // GRDB lowers the WAL writer to NORMAL; a 200 must survive power loss, so FULL.
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        self.clock = clock
        try SQLiteMigrations.migrator(nowMillis: clock.nowMillis()).migrate(pool)
        let batchMetrics = BatchMetrics(backend: "sqlite")
        self.batchMetrics = batchMetrics
        writer = BatchWriter(writer: pool, maxBatchSize: maxBatchSize, metrics: batchMetrics)
        checkpointer = try Checkpointer(path: path)
    }

    deinit {
        writer.stop()
        checkpointer.stop()
    }

    /// The writer connection's `synchronous` setting (2 is FULL), for tests.
    public func writerSynchronousLevel() async throws -> Int {
        try await writer.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    /// The journal mode, for tests.
    public func journalMode() async throws -> String {
        try await pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "" }
    }

    /// Runs `body` in the writer's next batch.
    func write<T: Sendable>(usesHotState: Bool = false, _ body: @escaping (Database) throws -> T) async throws -> T {
        do {
            return try await writer.write(usesHotState: usesHotState, body)
        } catch WriterError.overloaded {
            throw TributeError.overloaded
        }
    }

    /// Runs raw SQL on the writer: for tests that tamper with rows and tools.
    /// How many budgets the writer's cache holds, for tests of its bound.
    public func cachedBudgetCount() async throws -> Int {
        let hot = writer.hot
        return try await writer.write(usesHotState: true) { _ in hot.cachedBudgetCount }
    }

    public func executeUnchecked(sql: String) async throws {
        try await writer.write { db in try db.execute(sql: sql) }
    }

    public func nowMillis() -> Int64 { clock.nowMillis() }

    public func isReady() async -> Bool {
        (try? await pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") }) == 1
    }
}

/// A short-lived cache of verified API keys, so that the hot path does not read the key
/// table on every call. Revoking a key clears it. A lookup that started before a clear
/// never fills the cache after it (`generation`), so a revoked key cannot come back from
/// a read that raced its revocation.
final class PrincipalCache: @unchecked Sendable {
    private let lock = Lock()
    private var entries: [String: (principal: Principal, expiresAtMillis: Int64)] = [:]
    private var generation: UInt64 = 0
    /// How long a verified key is trusted without reading it again: what bounds how late
    /// another instance sees a key frozen or revoked (SPEC §3.7: within 2 s).
    static let ttlMillis: Int64 = 1_500
    /// Verified keys kept at most; past it the expired ones go, then all.
    private let maxEntries = 10_000

    func get(_ hash: String, nowMillis: Int64) -> Principal? {
        lock.withLock {
            guard let entry = entries[hash], entry.expiresAtMillis > nowMillis else { return nil }
            return entry.principal
        }
    }

    /// The generation to hand back to `put` with what a lookup started now finds.
    func currentGeneration() -> UInt64 { lock.withLock { generation } }

    func put(_ hash: String, _ principal: Principal, nowMillis: Int64, generation started: UInt64) {
        lock.withLock {
            guard started == generation else { return }
            if entries.count >= maxEntries {
                entries = entries.filter { $0.value.expiresAtMillis > nowMillis }
                if entries.count >= maxEntries { entries.removeAll() }
            }
            entries[hash] = (principal, nowMillis + PrincipalCache.ttlMillis)
        }
    }

    func clear() {
        lock.withLock {
            generation &+= 1
            entries.removeAll()
        }
    }
}
