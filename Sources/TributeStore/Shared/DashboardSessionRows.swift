import TributeCore

/// The `dashboard_sessions` table as both stores read and write it, by the rules of
/// `DashboardSessionPolicy`.
enum DashboardSessionRows {
    /// A session of key `keyId` opened now: the secret for the browser's cookie, and the
    /// record the store keeps, which holds only the secret's SHA-256.
    static func open(keyId: String, nowMillis: Int64) -> (secret: String, record: DashboardSessionRecord) {
        let secret = DashboardSessionPolicy.makeSecret()
        let record = DashboardSessionRecord(
            secretHash: Hex.sha256(secret), keyId: keyId, createdAtMillis: nowMillis,
            expiresAtMillis: nowMillis + DashboardSessionPolicy.lifetimeMillis)
        return (secret, record)
    }

    /// The key `id`, unless it is unknown or revoked: who may sign in.
    static func liveKey(id: String) -> StoreStatement {
        StoreStatement("SELECT 1 FROM api_keys WHERE id = ? AND revoked_at IS NULL", [.text(id)])
    }

    /// What signing in writes, in order: a bounded sweep of expired sessions, room for the
    /// new one among its key's (which keeps its newest `maxPerKey - 1`), and the new one.
    static func signIn(_ record: DashboardSessionRecord) -> [StoreStatement] {
        [
            StoreStatement("""
                DELETE FROM dashboard_sessions WHERE seq IN (
                    SELECT seq FROM dashboard_sessions WHERE expires_at <= ? ORDER BY expires_at LIMIT ?)
                """, [.int(record.createdAtMillis), .int(Int64(DashboardSessionPolicy.sweepLimit))]),
            StoreStatement("""
                DELETE FROM dashboard_sessions WHERE key_id = ? AND seq NOT IN (
                    SELECT seq FROM dashboard_sessions WHERE key_id = ? ORDER BY seq DESC LIMIT ?)
                """, [.text(record.keyId), .text(record.keyId), .int(Int64(DashboardSessionPolicy.maxPerKey - 1))]),
            StoreStatement(
                "INSERT INTO dashboard_sessions (secret_hash, key_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                [.text(record.secretHash), .text(record.keyId), .int(record.createdAtMillis), .int(record.expiresAtMillis)]),
        ]
    }

    /// The hash a presented secret is stored under, or `nil` for text that no session's
    /// secret could be (refused without a database read).
    static func hash(presented secret: String) -> String? {
        DashboardSessionPolicy.isWellFormed(secret) ? Hex.sha256(secret) : nil
    }

    /// The live key of the unexpired session stored under `secretHash`, as `APIKeyRows.principal`
    /// reads it: the key is read live, so that revoking it ends the session at once.
    static func principal(secretHash: String, nowMillis: Int64) -> StoreStatement {
        StoreStatement("""
            SELECT \(APIKeyRows.principalColumns)
            FROM dashboard_sessions s JOIN api_keys k ON k.id = s.key_id
            WHERE s.secret_hash = ? AND s.expires_at > ? AND k.revoked_at IS NULL
            """, [.text(secretHash), .int(nowMillis)])
    }

    /// Ends the session stored under `secretHash` (sign-out).
    static func end(secretHash: String) -> StoreStatement {
        StoreStatement("DELETE FROM dashboard_sessions WHERE secret_hash = ?", [.text(secretHash)])
    }

    /// The key's unexpired sessions, newest first, as `record` reads them.
    static func live(keyId: String, nowMillis: Int64) -> StoreStatement {
        StoreStatement("""
            SELECT secret_hash, key_id, created_at, expires_at FROM dashboard_sessions
            WHERE key_id = ? AND expires_at > ? ORDER BY seq DESC
            """, [.text(keyId), .int(nowMillis)])
    }

    static func record(_ columns: inout some ColumnReader) throws -> DashboardSessionRecord {
        DashboardSessionRecord(secretHash: try columns.text(), keyId: try columns.text(), createdAtMillis: try columns.int(), expiresAtMillis: try columns.int())
    }
}
