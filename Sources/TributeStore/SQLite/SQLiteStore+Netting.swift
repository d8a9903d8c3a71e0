import GRDB
import TributeCore

extension SQLiteStore {
    public func netSystemAccounts() async throws -> Bool {
        // A read first: while no account is near the bound, which is always but in the
        // rarest of databases, nothing is written.
        let due = try await pool.read { db in SystemNetting.transaction(try SQLiteLedger.systemBalances(db), minimumMove: SystemNetting.minimumMoveMicros) != nil }
        guard due else { return false }
        let nowMillis = clock.nowMillis()
        // A plain job of the writer: the batch's cached state is written before it runs, so
        // the balances it reads are current.
        return try await write { db in
            guard let netting = SystemNetting.transaction(try SQLiteLedger.systemBalances(db), minimumMove: SystemNetting.minimumMoveMicros) else { return false }
            try SQLiteLedger.append(db, netting, id: Identifier.make("txn"), workspaceId: nil, decisionId: nil, atMillis: nowMillis)
            return true
        }
    }
}
