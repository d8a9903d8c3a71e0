import GRDB
import TributeCore

extension SQLiteStore {
    public func createDashboardSession(keyId: String) async throws -> String {
        let (secret, record) = DashboardSessionRows.open(keyId: keyId, nowMillis: clock.nowMillis())
        try await write { db in
            guard try db.exists(DashboardSessionRows.liveKey(id: keyId)) else { throw TributeError.apiKeyNotFound(keyId) }
            for statement in DashboardSessionRows.signIn(record) { try db.run(statement) }
        }
        return secret
    }

    public func dashboardPrincipal(sessionSecret: String) async throws -> Principal? {
        guard let hash = DashboardSessionRows.hash(presented: sessionSecret) else { return nil }
        let query = DashboardSessionRows.principal(secretHash: hash, nowMillis: clock.nowMillis())
        // The key's own rate limit comes along: the dashboard spends the same tokens.
        return try await pool.read { db in try db.one(query, APIKeyRows.principal) }
    }

    public func endDashboardSession(sessionSecret: String) async throws {
        guard let hash = DashboardSessionRows.hash(presented: sessionSecret) else { return }
        try await write { db in try db.run(DashboardSessionRows.end(secretHash: hash)) }
    }

    public func dashboardSessions(keyId: String) async throws -> [DashboardSessionRecord] {
        let query = DashboardSessionRows.live(keyId: keyId, nowMillis: clock.nowMillis())
        return try await pool.read { db in try db.all(query, DashboardSessionRows.record) }
    }
}
