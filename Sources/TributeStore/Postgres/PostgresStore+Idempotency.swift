import PostgresNIO
import TributeCore

extension PostgresStore {
    public func expireIdempotencyKeys(createdBeforeMillis: Int64, limit: Int) async throws -> Int {
        try await transaction { connection in
            // A claim still being answered (no body yet) is never taken from its batch.
            var count = 0
            for try await _ in try await connection.query("""
                DELETE FROM idempotency_keys WHERE ctid IN (
                    SELECT ctid FROM idempotency_keys WHERE created_at < \(createdBeforeMillis) AND response_body IS NOT NULL
                    ORDER BY created_at LIMIT \(limit) FOR UPDATE SKIP LOCKED)
                RETURNING 1
                """, logger: PostgresLedger.logger) { count += 1 }
            return count
        }
    }
}
