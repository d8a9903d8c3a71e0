import PostgresNIO
import TributeCore

extension PostgresStore {
    public func createAPIKey(role: Role, workspaceIds: [String], name: String?, rateLimit: RateLimit?) async throws -> (APIKeyView, secret: String) {
        let nowMillis = clock.nowMillis()
        let secret = "trb_" + Identifier.randomBase62(count: 40)
        let view = APIKeyView(id: Identifier.make("key"), role: role, workspaceIds: workspaceIds, name: name, createdAtMillis: nowMillis, prefix: String(secret.prefix(10)), rateLimit: rateLimit)
        try await transaction { connection in
            for workspaceId in workspaceIds { try await PostgresStore.requireWorkspace(connection, workspaceId) }
            try await connection.query("""
                INSERT INTO api_keys (id, key_hash, prefix, role, workspace_ids, name, created_at, rate_limit_per_second, rate_limit_burst)
                VALUES (\(view.id), \(Identifier.sha256Hex(secret)), \(view.prefix), \(role.rawValue), \(JSON.array(workspaceIds.map { .string($0) }).serialized), \(name), \(nowMillis),
                        \(rateLimit?.perSecond), \(rateLimit?.burst))
                """, logger: PostgresLedger.logger)
        }
        return (view, secret)
    }

    public func apiKeys() async throws -> [APIKeyView] {
        try await read { connection in
            var keys: [APIKeyView] = []
            for try await row in try await connection.query(
                "SELECT \(unescaped: PostgresStore.keyColumns) FROM api_keys WHERE revoked_at IS NULL ORDER BY created_at DESC, id",
                logger: PostgresLedger.logger
            ) {
                keys.append(try PostgresStore.keyView(row))
            }
            return keys
        }
    }

    public func updateAPIKey(id: String, patch: APIKeyPatch) async throws -> APIKeyView {
        let view = try await transaction { connection -> APIKeyView in
            guard let row = try await connection.query(
                "SELECT \(unescaped: PostgresStore.keyColumns) FROM api_keys WHERE id = \(id) AND revoked_at IS NULL FOR UPDATE", logger: PostgresLedger.logger
            ).firstRow() else { throw TributeError.apiKeyNotFound(id) }
            var view = try PostgresStore.keyView(row)
            if let name = patch.name { view.name = name }
            switch patch.rateLimit {
            case .set(let limit)?: view.rateLimit = limit
            case .useDefault?: view.rateLimit = nil
            case nil: break
            }
            try await connection.query("""
                UPDATE api_keys SET name = \(view.name), rate_limit_per_second = \(view.rateLimit?.perSecond), rate_limit_burst = \(view.rateLimit?.burst)
                WHERE id = \(id)
                """, logger: PostgresLedger.logger)
            return view
        }
        keyCache.clear()
        return view
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

    /// Verified keys are cached for a few seconds; a key revoked or changed through another
    /// instance stops working, or gets its new rate limit, there within that time.
    public func principal(secret: String) async throws -> Principal? {
        let hash = Identifier.sha256Hex(secret)
        let nowMillis = clock.nowMillis()
        if let cached = keyCache.get(hash, nowMillis: nowMillis) { return cached }
        let generation = keyCache.currentGeneration()
        let principal = try await read { connection -> Principal? in
            guard let row = try await connection.query(
                "SELECT id, role, workspace_ids, rate_limit_per_second, rate_limit_burst FROM api_keys WHERE key_hash = \(hash) AND revoked_at IS NULL",
                logger: PostgresLedger.logger
            ).firstRow() else { return nil }
            let (id, roleText, workspaceIds, perSecond, burst) = try row.decode((String, String, String, Int64?, Int64?).self)
            guard let role = Role(rawValue: roleText) else { return nil }
            return Principal(keyId: id, role: role, workspaceIds: parseIds(workspaceIds), rateLimit: try RateLimit.stored(perSecond: perSecond, burst: burst))
        }
        if let principal { keyCache.put(hash, principal, nowMillis: nowMillis, generation: generation) }
        return principal
    }

    /// The columns `keyView` reads, in its order.
    static let keyColumns = "id, role, workspace_ids, name, created_at, prefix, rate_limit_per_second, rate_limit_burst"

    /// A key's public record from a row of `keyColumns`.
    /// - Throws: `APIKeyRowFault` for a role or limit the code never writes.
    static func keyView(_ row: PostgresRow) throws -> APIKeyView {
        let (id, roleText, workspaceIds, name, createdAtMillis, prefix, perSecond, burst) =
            try row.decode((String, String, String, String?, Int64, String, Int64?, Int64?).self)
        guard let role = Role(rawValue: roleText) else { throw APIKeyRowFault.unknownRole(roleText) }
        return APIKeyView(
            id: id, role: role, workspaceIds: parseIds(workspaceIds), name: name, createdAtMillis: createdAtMillis, prefix: prefix,
            rateLimit: try RateLimit.stored(perSecond: perSecond, burst: burst))
    }
}
