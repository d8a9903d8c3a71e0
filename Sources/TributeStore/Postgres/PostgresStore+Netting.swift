import PostgresNIO
import TributeCore

extension PostgresStore {
    public func netSystemAccounts() async throws -> Bool {
        let nowMillis = clock.nowMillis()
        return try await transaction { connection in
            // One instance nets at a time, and the shards it nets are locked, so the totals
            // it reads are the totals it leaves (batches adding to them wait).
            _ = try await connection.query("SELECT pg_advisory_xact_lock(\(PostgresStore.nettingLockKey))", logger: PostgresLedger.logger)
            _ = try await connection.query("SELECT 1 FROM system_balance_shards FOR UPDATE", logger: PostgresLedger.logger).collect()
            let totals = try await PostgresLedger.systemTotals(connection)
            guard let netting = SystemNetting.transaction(totals, minimumMove: SystemNetting.minimumMoveMicros) else { return false }
            try await PostgresLedger.append(connection, netting, id: Identifier.make("txn"), workspaceId: nil, decisionId: nil, atMillis: nowMillis)
            // Shards are one account's total split for concurrency; netting would leave them
            // drifting apart. Each netted account's total goes back into shard 0, the others
            // to zero: the totals, and so the ledger, are unchanged.
            let accounts = Array(Set(netting.postings.map(\.account.description))).sorted()
            try await connection.query("""
                INSERT INTO system_balance_shards (account_id, shard, balance_micros)
                SELECT a, 0, 0 FROM unnest(\(accounts)::text[]) AS a ON CONFLICT (account_id, shard) DO NOTHING
                """, logger: PostgresLedger.logger)
            try await connection.query("""
                UPDATE system_balance_shards s SET balance_micros = CASE WHEN s.shard = 0 THEN t.total ELSE 0 END
                FROM (SELECT account_id, SUM(balance_micros)::bigint AS total FROM system_balance_shards
                      WHERE account_id = ANY(\(accounts)) GROUP BY account_id) t
                WHERE s.account_id = t.account_id
                """, logger: PostgresLedger.logger)
            return true
        }
    }

    /// The advisory lock that serializes netting across instances.
    static let nettingLockKey: Int64 = 0x7472_6962_6e65_7400
}
