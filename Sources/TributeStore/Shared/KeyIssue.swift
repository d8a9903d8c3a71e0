import TributeCore

/// A new API key as both stores issue it: its public record, the secret shown once, and
/// the row that keeps only the secret's SHA-256.
struct KeyIssue: Sendable {
    static let secretPrefix = "trb_"
    /// Base-62 characters after the prefix: 40 × log2(62) ≈ 238 bits.
    static let secretRandomCharacters = 40
    /// Characters of the secret kept in clear, so that a list of keys tells them apart.
    static let shownPrefixLength = 10

    let view: APIKeyView
    let secret: String

    /// A key made now from the system's cryptographic generator.
    init(role: Role, workspaceIds: [String], name: String?, rateLimit: RateLimit?, nowMillis: Int64) {
        secret = KeyIssue.secretPrefix + Identifier.randomBase62(count: KeyIssue.secretRandomCharacters)
        view = APIKeyView(
            id: Identifier.make("key"), role: role, workspaceIds: workspaceIds, name: name, createdAtMillis: nowMillis,
            prefix: String(secret.prefix(KeyIssue.shownPrefixLength)), rateLimit: rateLimit)
    }

    /// The key's `api_keys` row.
    var insert: StoreStatement {
        StoreStatement("""
            INSERT INTO api_keys (id, key_hash, prefix, role, workspace_ids, name, created_at, rate_limit_per_second, rate_limit_burst)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [
                .text(view.id), .text(Hex.sha256(secret)), .text(view.prefix), .text(view.role.rawValue),
                .text(APIKeyRows.storedWorkspaceIds(view.workspaceIds)), .text(view.name), .int(view.createdAtMillis),
                .int(view.rateLimit?.perSecond), .int(view.rateLimit?.burst),
            ])
    }
}

extension APIKeyView {
    /// The key as `patch` leaves it, and the statement that stores it.
    /// - Parameter stored: the live key as stored, `nil` for an unknown or revoked one.
    /// - Throws: `apiKeyNotFound` for an unknown or revoked key.
    static func patched(_ stored: APIKeyView?, id: String, by patch: APIKeyPatch, nowMillis: Int64) throws -> (APIKeyView, update: StoreStatement) {
        guard let stored else { throw TributeError.apiKeyNotFound(id) }
        let view = stored.applying(patch)
        return (view, APIKeyRows.update(view, nowMillis: nowMillis))
    }

    /// The key as `patch` leaves it: a new name, its own rate limit, or the server's default.
    func applying(_ patch: APIKeyPatch) -> APIKeyView {
        var view = self
        if let name = patch.name { view.name = name }
        if let status = patch.status { view.status = status }
        switch patch.rateLimit {
        case .set(let limit)?: view.rateLimit = limit
        case .useDefault?: view.rateLimit = nil
        case nil: break
        }
        return view
    }
}
