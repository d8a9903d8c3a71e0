import PostgresNIO
import TributeCore

extension PostgresStore {
    public func createAPIKey(role: Role, workspaceIds: [String], name: String?) async throws -> (APIKeyView, secret: String) {
        let nowMillis = clock.nowMillis()
        let secret = "trb_" + Identifier.randomBase62(count: 40)
        let view = APIKeyView(id: Identifier.make("key"), role: role, workspaceIds: workspaceIds, name: name, createdAtMillis: nowMillis, prefix: String(secret.prefix(10)))
        try await transaction { connection in
            for workspaceId in workspaceIds { try await PostgresStore.requireWorkspace(connection, workspaceId) }
            try await connection.query("""
                INSERT INTO api_keys (id, key_hash, prefix, role, workspace_ids, name, created_at)
                VALUES (\(view.id), \(Identifier.sha256Hex(secret)), \(view.prefix), \(role.rawValue), \(JSON.array(workspaceIds.map { .string($0) }).serialized), \(name), \(nowMillis))
                """, logger: PostgresLedger.logger)
        }
        return (view, secret)
    }

    public func apiKeys() async throws -> [APIKeyView] {
        try await read { connection in
            var keys: [APIKeyView] = []
            for try await (id, role, workspaceIds, name, createdAt, prefix) in try await connection.query(
                "SELECT id, role, workspace_ids, name, created_at, prefix FROM api_keys WHERE revoked_at IS NULL ORDER BY created_at DESC, id",
                logger: PostgresLedger.logger
            ).decode((String, String, String, String?, Int64, String).self) {
                keys.append(APIKeyView(id: id, role: Role(rawValue: role) ?? .viewer, workspaceIds: parseIds(workspaceIds), name: name, createdAtMillis: createdAt, prefix: prefix))
            }
            return keys
        }
    }

    public func revokeAPIKey(id: String) async throws {
        let nowMillis = clock.nowMillis()
        try await transaction { connection in
            guard try await connection.query(
                "UPDATE api_keys SET revoked_at = \(nowMillis) WHERE id = \(id) AND revoked_at IS NULL RETURNING 1", logger: PostgresLedger.logger
            ).firstRow() != nil else { throw TributeError.apiKeyNotFound(id) }
        }
        keyCache.clear()
    }

    /// Verified keys are cached for a few seconds; a key revoked through another instance
    /// stops working there within that time.
    public func principal(secret: String) async throws -> Principal? {
        let hash = Identifier.sha256Hex(secret)
        let nowMillis = clock.nowMillis()
        if let cached = keyCache.get(hash, nowMillis: nowMillis) { return cached }
        let principal = try await read { connection -> Principal? in
            guard let row = try await connection.query(
                "SELECT id, role, workspace_ids FROM api_keys WHERE key_hash = \(hash) AND revoked_at IS NULL", logger: PostgresLedger.logger
            ).firstRow() else { return nil }
            let (id, roleText, workspaceIds) = try row.decode((String, String, String).self)
            guard let role = Role(rawValue: roleText) else { return nil }
            return Principal(keyId: id, role: role, workspaceIds: parseIds(workspaceIds))
        }
        if let principal { keyCache.put(hash, principal, nowMillis: nowMillis) }
        return principal
    }
}
