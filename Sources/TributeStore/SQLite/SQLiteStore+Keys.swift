import GRDB
import TributeCore

extension SQLiteStore {
    public func createAPIKey(role: Role, workspaceIds: [String], name: String?) async throws -> (APIKeyView, secret: String) {
        let nowMillis = clock.nowMillis()
        let secret = "trb_" + Identifier.randomBase62(count: 40)
        let view = APIKeyView(id: Identifier.make("key"), role: role, workspaceIds: workspaceIds, name: name, createdAtMillis: nowMillis, prefix: String(secret.prefix(10)))
        try await write { db in
            for workspaceId in workspaceIds { try SQLiteStore.requireWorkspace(db, workspaceId) }
            try db.execute(sql: "INSERT INTO api_keys (id, key_hash, prefix, role, workspace_ids, name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           arguments: [view.id, Identifier.sha256Hex(secret), view.prefix, role.rawValue, JSON.array(workspaceIds.map { .string($0) }).serialized, name, nowMillis])
        }
        return (view, secret)
    }

    public func apiKeys() async throws -> [APIKeyView] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, role, workspace_ids, name, created_at, prefix FROM api_keys WHERE revoked_at IS NULL ORDER BY created_at DESC, id")
                .map { APIKeyView(id: $0[0], role: Role(rawValue: $0[1]) ?? .viewer, workspaceIds: parseIds($0[2]), name: $0[3], createdAtMillis: $0[4], prefix: $0[5]) }
        }
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
        let principal = try await pool.read { db -> Principal? in
            guard let row = try Row.fetchOne(db, sql: "SELECT id, role, workspace_ids FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL", arguments: [hash]),
                  let role = Role(rawValue: row[1]) else { return nil }
            return Principal(keyId: row[0], role: role, workspaceIds: parseIds(row[2]))
        }
        if let principal { keyCache.put(hash, principal, nowMillis: nowMillis) }
        return principal
    }
}
