import GRDB
import TributeCore

extension SQLiteStore {
    public func expireIdempotencyKeys(createdBeforeMillis: Int64, limit: Int) async throws -> Int {
        // A read first: an idle server, or one whose keys are all young, writes nothing.
        let any = try await pool.read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM idempotency_keys WHERE created_at < ?)", arguments: [createdBeforeMillis]) ?? false
        }
        guard any else { return 0 }
        return try await write { db in
            try db.execute(sql: """
                DELETE FROM idempotency_keys WHERE (workspace_id, key) IN (
                    SELECT workspace_id, key FROM idempotency_keys WHERE created_at < ? ORDER BY created_at LIMIT ?)
                """, arguments: [createdBeforeMillis, limit])
            return db.changesCount
        }
    }
}
