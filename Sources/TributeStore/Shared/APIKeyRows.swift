import TributeCore

/// The `api_keys` table as both stores read and write it.
enum APIKeyRows {
    /// The columns `view` reads, in its order.
    static let columns = "id, role, workspace_ids, name, created_at, prefix, rate_limit_per_second, rate_limit_burst, (frozen_at IS NOT NULL)"

    /// Every live key, newest first.
    static let allLive = StoreStatement("SELECT \(columns) FROM api_keys WHERE revoked_at IS NULL ORDER BY created_at DESC, id")

    /// How many keys are live, counting no further than `limit`.
    static func liveCount(upTo limit: Int) -> StoreStatement {
        StoreStatement("SELECT COUNT(*) FROM (SELECT 1 FROM api_keys WHERE revoked_at IS NULL LIMIT ?) AS counted", [.int(Int64(limit))])
    }

    /// Refuses a new key while `count` (of at most `maxKeys`) are live.
    /// - Throws: `tooManyAPIKeys`.
    static func checkRoom(count: Int64?, maxKeys: Int) throws {
        guard (count ?? 0) >= Int64(maxKeys) else { return }
        throw TributeError.tooManyAPIKeys(max: maxKeys)
    }

    /// The key `id`, unless it is unknown or revoked.
    static func live(id: String) -> StoreStatement {
        StoreStatement("SELECT \(columns) FROM api_keys WHERE id = ? AND revoked_at IS NULL", [.text(id)])
    }

    /// Stores the name, rate limit and status that `view` has (a key frozen again keeps the
    /// time it was first frozen).
    static func update(_ view: APIKeyView, nowMillis: Int64) -> StoreStatement {
        StoreStatement(
            "UPDATE api_keys SET name = ?, rate_limit_per_second = ?, rate_limit_burst = ?, frozen_at = CASE WHEN ? THEN COALESCE(frozen_at, ?) END WHERE id = ?",
            [.text(view.name), .int(view.rateLimit?.perSecond), .int(view.rateLimit?.burst), .bool(view.status == .frozen), .int(nowMillis), .text(view.id)])
    }

    /// The live admin keys, locked by PostgreSQL (`FOR UPDATE` appended there) so that two
    /// admins freezing each other at once are ordered: how many are active, other than `id`.
    static func otherActiveAdmins(excluding id: String) -> StoreStatement {
        StoreStatement("SELECT id, (frozen_at IS NULL) FROM api_keys WHERE role = 'admin' AND revoked_at IS NULL AND id <> ?", [.text(id)])
    }

    static func adminRow(_ columns: inout some ColumnReader) throws -> (id: String, active: Bool) {
        (try columns.text(), try columns.bool())
    }

    /// Refuses to freeze the last active admin key: no key could thaw it (a key cannot freeze
    /// itself, and `tribute keys create` on the database host is the only way back).
    /// - Parameter others: the other live admin keys, as `otherActiveAdmins` reads them.
    /// - Throws: `invalidValue`.
    static func checkFreeze(_ stored: APIKeyView?, _ patch: APIKeyPatch, others: [(id: String, active: Bool)]) throws {
        guard patch.status == .frozen, let stored, stored.role == .admin, stored.status == .active, !others.contains(where: \.active) else { return }
        throw TributeError.invalidValue("The last active admin key cannot be frozen: no key would be left to thaw it")
    }

    /// Revokes the key `id` unless it is revoked already.
    static func revoke(id: String, nowMillis: Int64) -> StoreStatement {
        StoreStatement("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", [.int(nowMillis), .text(id)])
    }

    /// A key's public record from a row of `columns`.
    /// - Throws: `StoreFault.unknownValue` for a role or workspace list, and
    ///   `APIKeyRowFault.invalidRateLimit` for a limit, that the code never writes.
    static func view(_ columns: inout some ColumnReader) throws -> APIKeyView {
        APIKeyView(
            id: try columns.text(), role: try columns.value(Role.self, column: "api_keys.role"),
            workspaceIds: try workspaceIds(stored: try columns.text()), name: try columns.optionalText(), createdAtMillis: try columns.int(),
            prefix: try columns.text(), rateLimit: try RateLimit.stored(perSecond: try columns.optionalInt(), burst: try columns.optionalInt()),
            status: try columns.bool() ? .frozen : .active)
    }

    /// The columns `principal` reads, of the key named `k` in a query.
    static let principalColumns = "k.id, k.role, k.workspace_ids, k.rate_limit_per_second, k.rate_limit_burst, (k.frozen_at IS NOT NULL)"

    /// The live key whose secret hashes to `secretHash`.
    static func principal(secretHash: String) -> StoreStatement {
        StoreStatement("SELECT \(principalColumns) FROM api_keys k WHERE k.key_hash = ? AND k.revoked_at IS NULL", [.text(secretHash)])
    }

    /// What a key may do, from a row of `principalColumns`.
    /// - Throws: as `view`.
    static func principal(_ columns: inout some ColumnReader) throws -> Principal {
        var principal = Principal(
            keyId: try columns.text(), role: try columns.value(Role.self, column: "api_keys.role"),
            workspaceIds: try workspaceIds(stored: try columns.text()),
            rateLimit: try RateLimit.stored(perSecond: try columns.optionalInt(), burst: try columns.optionalInt()))
        principal.frozen = try columns.bool()
        return principal
    }

    /// A key's workspace ids as stored: a JSON array of strings.
    static func storedWorkspaceIds(_ ids: [String]) -> String {
        JSON.array(ids.map { .string($0) }).serialized
    }

    /// The workspace ids of `api_keys.workspace_ids`.
    /// - Throws: `StoreFault.unknownValue` for anything but a JSON array of strings: a key
    ///   must never read as scoped to fewer (or more) workspaces than it was given.
    static func workspaceIds(stored text: String) throws -> [String] {
        guard case .array(let values)? = try? JSON.parse(Array(text.utf8)) else { throw StoreFault.unknownValue("api_keys.workspace_ids", text) }
        return try values.map { value in
            guard let id = value.stringValue else { throw StoreFault.unknownValue("api_keys.workspace_ids", text) }
            return id
        }
    }
}
