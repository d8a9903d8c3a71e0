import PostgresNIO
import TributeCore

extension PostgresStore {
    public func createDashboardSession(keyId: String) async throws -> String {
        let (secret, record) = DashboardSessionRows.open(keyId: keyId, nowMillis: clock.nowMillis())
        try await transaction { connection in
            // The key's row lock orders its sign-ins, so that two at once cannot both find room.
            guard try await connection.exists(DashboardSessionRows.liveKey(id: keyId).appending("FOR NO KEY UPDATE")) else {
                throw TributeError.apiKeyNotFound(keyId)
            }
            for statement in DashboardSessionRows.signIn(record) { try await connection.run(statement) }
        }
        return secret
    }

    public func dashboardPrincipal(sessionSecret: String) async throws -> Principal? {
        guard let hash = DashboardSessionRows.hash(presented: sessionSecret) else { return nil }
        let query = DashboardSessionRows.principal(secretHash: hash, nowMillis: clock.nowMillis())
        // The key's own rate limit comes along: the dashboard spends the same tokens.
        return try await read { connection in try await connection.one(query, APIKeyRows.principal) }
    }

    public func endDashboardSession(sessionSecret: String) async throws {
        guard let hash = DashboardSessionRows.hash(presented: sessionSecret) else { return }
        try await transaction { connection in try await connection.run(DashboardSessionRows.end(secretHash: hash)) }
    }

    public func dashboardSessions(keyId: String) async throws -> [DashboardSessionRecord] {
        let query = DashboardSessionRows.live(keyId: keyId, nowMillis: clock.nowMillis())
        return try await read { connection in try await connection.all(query, DashboardSessionRows.record) }
    }
}
