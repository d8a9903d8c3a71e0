import PostgresNIO
import TributeCore

extension PostgresStore {
    public func createDashboardSession(keyId: String) async throws -> String {
        let nowMillis = clock.nowMillis()
        let secret = DashboardSessionPolicy.makeSecret()
        let record = DashboardSessionRecord(secretHash: Identifier.sha256Hex(secret), keyId: keyId, createdAtMillis: nowMillis,
                                            expiresAtMillis: nowMillis + DashboardSessionPolicy.lifetimeMillis)
        let keep = DashboardSessionPolicy.maxPerKey - 1, sweepLimit = DashboardSessionPolicy.sweepLimit
        try await transaction { connection in
            // The key's row lock orders its sign-ins, so that two at once cannot both find room.
            guard try await connection.query(
                "SELECT 1 FROM api_keys WHERE id = \(keyId) AND revoked_at IS NULL FOR NO KEY UPDATE", logger: PostgresLedger.logger
            ).firstRow() != nil else { throw TributeError.apiKeyNotFound(keyId) }
            try await connection.query("""
                DELETE FROM dashboard_sessions WHERE seq IN (
                    SELECT seq FROM dashboard_sessions WHERE expires_at <= \(nowMillis) ORDER BY expires_at LIMIT \(sweepLimit))
                """, logger: PostgresLedger.logger)
            // Room for the new one: the key keeps its newest `maxPerKey - 1`.
            try await connection.query("""
                DELETE FROM dashboard_sessions WHERE key_id = \(keyId) AND seq NOT IN (
                    SELECT seq FROM dashboard_sessions WHERE key_id = \(keyId) ORDER BY seq DESC LIMIT \(keep))
                """, logger: PostgresLedger.logger)
            try await connection.query("""
                INSERT INTO dashboard_sessions (secret_hash, key_id, created_at, expires_at)
                VALUES (\(record.secretHash), \(record.keyId), \(record.createdAtMillis), \(record.expiresAtMillis))
                """, logger: PostgresLedger.logger)
        }
        return secret
    }

    public func dashboardPrincipal(sessionSecret: String) async throws -> Principal? {
        guard DashboardSessionPolicy.isWellFormed(sessionSecret) else { return nil }
        let hash = Identifier.sha256Hex(sessionSecret)
        let nowMillis = clock.nowMillis()
        return try await read { connection -> Principal? in
            guard let row = try await connection.query("""
                SELECT k.id, k.role, k.workspace_ids, k.rate_limit_per_second, k.rate_limit_burst
                FROM dashboard_sessions s JOIN api_keys k ON k.id = s.key_id
                WHERE s.secret_hash = \(hash) AND s.expires_at > \(nowMillis) AND k.revoked_at IS NULL
                """, logger: PostgresLedger.logger).firstRow() else { return nil }
            let (id, roleText, workspaceIds, perSecond, burst) = try row.decode((String, String, String, Int64?, Int64?).self)
            guard let role = Role(rawValue: roleText) else { return nil }
            // The key's own rate limit comes along: the dashboard spends the same tokens.
            return Principal(keyId: id, role: role, workspaceIds: parseIds(workspaceIds), rateLimit: try RateLimit.stored(perSecond: perSecond, burst: burst))
        }
    }

    public func endDashboardSession(sessionSecret: String) async throws {
        guard DashboardSessionPolicy.isWellFormed(sessionSecret) else { return }
        let hash = Identifier.sha256Hex(sessionSecret)
        try await transaction { connection in
            try await connection.query("DELETE FROM dashboard_sessions WHERE secret_hash = \(hash)", logger: PostgresLedger.logger)
        }
    }

    public func dashboardSessions(keyId: String) async throws -> [DashboardSessionRecord] {
        let nowMillis = clock.nowMillis()
        return try await read { connection in
            var records: [DashboardSessionRecord] = []
            for try await (secretHash, key, createdAt, expiresAt) in try await connection.query("""
                SELECT secret_hash, key_id, created_at, expires_at FROM dashboard_sessions
                WHERE key_id = \(keyId) AND expires_at > \(nowMillis) ORDER BY seq DESC
                """, logger: PostgresLedger.logger).decode((String, String, Int64, Int64).self) {
                records.append(DashboardSessionRecord(secretHash: secretHash, keyId: key, createdAtMillis: createdAt, expiresAtMillis: expiresAt))
            }
            return records
        }
    }
}
