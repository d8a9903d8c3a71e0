import GRDB
import TributeCore

extension SQLiteStore {
    public func createAPIKey(role: Role, workspaceIds: [String], name: String?, rateLimit: RateLimit?) async throws -> (APIKeyView, secret: String) {
        let nowMillis = clock.nowMillis()
        let secret = "trb_" + Identifier.randomBase62(count: 40)
        let view = APIKeyView(id: Identifier.make("key"), role: role, workspaceIds: workspaceIds, name: name, createdAtMillis: nowMillis, prefix: String(secret.prefix(10)), rateLimit: rateLimit)
        try await write { db in
            for workspaceId in workspaceIds { try SQLiteStore.requireWorkspace(db, workspaceId) }
            try db.execute(sql: """
                INSERT INTO api_keys (id, key_hash, prefix, role, workspace_ids, name, created_at, rate_limit_per_second, rate_limit_burst)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                arguments: [view.id, Identifier.sha256Hex(secret), view.prefix, role.rawValue, JSON.array(workspaceIds.map { .string($0) }).serialized, name, nowMillis,
                            rateLimit?.perSecond, rateLimit?.burst])
        }
        return (view, secret)
    }

    public func apiKeys() async throws -> [APIKeyView] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT \(SQLiteStore.keyColumns) FROM api_keys WHERE revoked_at IS NULL ORDER BY created_at DESC, id")
                .map(SQLiteStore.keyView)
        }
    }

    public func updateAPIKey(id: String, patch: APIKeyPatch) async throws -> APIKeyView {
        let view = try await write { db -> APIKeyView in
            guard let row = try Row.fetchOne(db, sql: "SELECT \(SQLiteStore.keyColumns) FROM api_keys WHERE id = ? AND revoked_at IS NULL", arguments: [id]) else {
                throw TributeError.apiKeyNotFound(id)
            }
            var view = try SQLiteStore.keyView(row)
            if let name = patch.name { view.name = name }
            switch patch.rateLimit {
            case .set(let limit)?: view.rateLimit = limit
            case .useDefault?: view.rateLimit = nil
            case nil: break
            }
            try db.execute(sql: "UPDATE api_keys SET name = ?, rate_limit_per_second = ?, rate_limit_burst = ? WHERE id = ?",
                           arguments: [view.name, view.rateLimit?.perSecond, view.rateLimit?.burst, id])
            return view
        }
        keyCache.clear()
        return view
    }

    public func revokeAPIKey(id: String) async throws {
        let nowMillis = clock.nowMillis()
        try await write { db in
            try db.execute(sql: "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", arguments: [nowMillis, id])
            guard db.changesCount == 1 else { throw TributeError.apiKeyNotFound(id) }
        }
        keyCache.clear()
    }

    public func principal(secret: String) async throws -> Principal? {
        let hash = Identifier.sha256Hex(secret)
        let nowMillis = clock.nowMillis()
        if let cached = keyCache.get(hash, nowMillis: nowMillis) { return cached }
        let generation = keyCache.currentGeneration()
        let principal = try await pool.read { db -> Principal? in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT id, role, workspace_ids, rate_limit_per_second, rate_limit_burst FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL
                """, arguments: [hash]),
                  let role = Role(rawValue: try row.decode(atIndex: 1)) else { return nil }
            return Principal(keyId: try row.decode(atIndex: 0), role: role, workspaceIds: parseIds(try row.decode(atIndex: 2)), rateLimit: try RateLimit.stored(perSecond: try row.decode(atIndex: 3), burst: try row.decode(atIndex: 4)))
        }
        if let principal { keyCache.put(hash, principal, nowMillis: nowMillis, generation: generation) }
        return principal
    }

    /// The columns `keyView` reads, in its order.
    static let keyColumns = "id, role, workspace_ids, name, created_at, prefix, rate_limit_per_second, rate_limit_burst"

    /// A key's public record from a row of `keyColumns`.
    /// - Throws: `APIKeyRowFault` for a role or limit the code never writes.
    static func keyView(_ row: Row) throws -> APIKeyView {
        // In the order of `keyColumns`.
        let roleText: String = try row.decode(atIndex: 1)
        guard let role = Role(rawValue: roleText) else { throw APIKeyRowFault.unknownRole(roleText) }
        return APIKeyView(
            id: try row.decode(atIndex: 0), role: role, workspaceIds: parseIds(try row.decode(atIndex: 2)), name: try row.decode(atIndex: 3),
            createdAtMillis: try row.decode(atIndex: 4), prefix: try row.decode(atIndex: 5),
            rateLimit: try RateLimit.stored(perSecond: try row.decode(atIndex: 6), burst: try row.decode(atIndex: 7)))
    }
}
