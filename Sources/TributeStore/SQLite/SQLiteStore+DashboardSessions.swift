import GRDB
import TributeCore

extension SQLiteStore {
    public func createDashboardSession(keyId: String) async throws -> String {
        let nowMillis = clock.nowMillis()
        let secret = DashboardSessionPolicy.makeSecret()
        let record = DashboardSessionRecord(secretHash: Identifier.sha256Hex(secret), keyId: keyId, createdAtMillis: nowMillis,
                                            expiresAtMillis: nowMillis + DashboardSessionPolicy.lifetimeMillis)
        try await write { db in
            guard try Int.fetchOne(db, sql: "SELECT 1 FROM api_keys WHERE id = ? AND revoked_at IS NULL", arguments: [keyId]) != nil else {
                throw TributeError.apiKeyNotFound(keyId)
            }
            try db.execute(sql: """
                DELETE FROM dashboard_sessions WHERE seq IN (
                    SELECT seq FROM dashboard_sessions WHERE expires_at <= ? ORDER BY expires_at LIMIT ?)
                """, arguments: [nowMillis, DashboardSessionPolicy.sweepLimit])
            // Room for the new one: the key keeps its newest `maxPerKey - 1`.
            try db.execute(sql: """
                DELETE FROM dashboard_sessions WHERE key_id = ? AND seq NOT IN (
                    SELECT seq FROM dashboard_sessions WHERE key_id = ? ORDER BY seq DESC LIMIT ?)
                """, arguments: [keyId, keyId, DashboardSessionPolicy.maxPerKey - 1])
            try db.execute(sql: "INSERT INTO dashboard_sessions (secret_hash, key_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                           arguments: [record.secretHash, record.keyId, record.createdAtMillis, record.expiresAtMillis])
        }
        return secret
    }

    public func dashboardPrincipal(sessionSecret: String) async throws -> Principal? {
        guard DashboardSessionPolicy.isWellFormed(sessionSecret) else { return nil }
        let hash = Identifier.sha256Hex(sessionSecret)
        let nowMillis = clock.nowMillis()
        return try await pool.read { db -> Principal? in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT k.id, k.role, k.workspace_ids, k.rate_limit_per_second, k.rate_limit_burst
                FROM dashboard_sessions s JOIN api_keys k ON k.id = s.key_id
                WHERE s.secret_hash = ? AND s.expires_at > ? AND k.revoked_at IS NULL
                """, arguments: [hash, nowMillis]),
                  let role = Role(rawValue: try row.decode(atIndex: 1)) else { return nil }
            // The key's own rate limit comes along: the dashboard spends the same tokens.
            return Principal(keyId: try row.decode(atIndex: 0), role: role, workspaceIds: parseIds(try row.decode(atIndex: 2)), rateLimit: try RateLimit.stored(perSecond: try row.decode(atIndex: 3), burst: try row.decode(atIndex: 4)))
        }
    }

    public func endDashboardSession(sessionSecret: String) async throws {
        guard DashboardSessionPolicy.isWellFormed(sessionSecret) else { return }
        let hash = Identifier.sha256Hex(sessionSecret)
        try await write { db in
            try db.execute(sql: "DELETE FROM dashboard_sessions WHERE secret_hash = ?", arguments: [hash])
        }
    }

    public func dashboardSessions(keyId: String) async throws -> [DashboardSessionRecord] {
        let nowMillis = clock.nowMillis()
        return try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT secret_hash, key_id, created_at, expires_at FROM dashboard_sessions
                WHERE key_id = ? AND expires_at > ? ORDER BY seq DESC
                """, arguments: [keyId, nowMillis])
                .map { (row: Row) throws -> DashboardSessionRecord in
                    DashboardSessionRecord(
                        secretHash: try row.decode(atIndex: 0), keyId: try row.decode(atIndex: 1),
                        createdAtMillis: try row.decode(atIndex: 2), expiresAtMillis: try row.decode(atIndex: 3))
                }
        }
    }
}
