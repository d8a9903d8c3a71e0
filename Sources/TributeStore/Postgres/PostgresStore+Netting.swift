import PostgresNIO
import TributeCore

extension PostgresStore {
    public func netSystemAccounts() async throws -> Bool {
        let nowMillis = clock.nowMillis()
        return try await transaction { connection in
            // One instance nets at a time; the totals read under this lock may still move
            // by what concurrent batches add, which only leaves an account a little off zero.
            _ = try await connection.query("SELECT pg_advisory_xact_lock(\(PostgresStore.nettingLockKey))", logger: PostgresLedger.logger)
            var balances: [AccountKind: Amount] = [:]
            for try await (account, total) in try await connection.query(
                "SELECT account_id, SUM(balance_micros)::text FROM system_balance_shards GROUP BY account_id", logger: PostgresLedger.logger
            ).decode((String, String).self) {
                guard let kind = AccountKind(rawValue: String(account.dropFirst("system:".count))) else { continue }
                // A total past what Int64 holds cannot be netted from here; it stays refused.
                guard let micros = Int64(total), micros.magnitude <= Amount.max.micros.magnitude else { continue }
                balances[kind] = Amount(micros: micros)
            }
            guard let netting = SystemNetting.transaction(SystemBalances(balances)) else { return false }
            try await PostgresLedger.append(connection, netting, id: Identifier.make("txn"), workspaceId: nil, decisionId: nil, atMillis: nowMillis)
            return true
        }
    }

    /// The advisory lock that serializes netting across instances.
    static let nettingLockKey: Int64 = 0x7472_6962_6e65_7400
}
