import Logging
import PostgresNIO

/// The benchmark's baseline on PostgreSQL: what a team would write first, one transaction
/// per debit (`UPDATE` the wallet where the balance allows, `INSERT` a ledger row, `COMMIT`)
/// on one connection, with the server's normal durability.
public final class PostgresNaiveBaseline: Sendable {
    private let store: PostgresStore

    /// Creates the baseline's two tables (if missing) in the store's database and funds
    /// its wallet.
    public init(store: PostgresStore, initialBalance: Int64) async throws {
        self.store = store
        try await store.executeUnchecked(sql: """
            CREATE TABLE IF NOT EXISTS bench_naive_wallets (id BIGINT PRIMARY KEY, balance BIGINT NOT NULL CHECK (balance >= 0))
            """)
        try await store.executeUnchecked(sql: """
            CREATE TABLE IF NOT EXISTS bench_naive_ledger (id BIGSERIAL PRIMARY KEY, wallet_id BIGINT NOT NULL, amount BIGINT NOT NULL, created_at BIGINT NOT NULL)
            """)
        try await store.executeUnchecked(sql: """
            INSERT INTO bench_naive_wallets (id, balance) VALUES (1, \(initialBalance)) ON CONFLICT (id) DO UPDATE SET balance = excluded.balance
            """)
    }

    /// One debit in its own transaction; `false` when the wallet cannot afford it.
    public func debit(amount: Int64, atMillis: Int64) async throws -> Bool {
        try await store.transaction { connection in
            let logger = PostgresLedger.logger
            guard try await connection.query(
                "UPDATE bench_naive_wallets SET balance = balance - \(amount) WHERE id = 1 AND balance >= \(amount) RETURNING 1", logger: logger
            ).firstRow() != nil else { return false }
            try await connection.query("INSERT INTO bench_naive_ledger (wallet_id, amount, created_at) VALUES (1, \(-amount), \(atMillis))", logger: logger)
            return true
        }
    }
}
