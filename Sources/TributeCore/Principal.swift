/// Who is calling: the verified API key.
public struct Principal: Sendable, Equatable {
    public var keyId: String
    public var role: Role
    /// Empty means every workspace (admin, or a service key that names none).
    public var workspaceIds: [String]
    /// The key's own rate limit; `nil` follows the server's default (`TRIBUTE_RATE_LIMIT`).
    public var rateLimit: RateLimit?
    /// A frozen key is refused before anything else (SPEC §3.7).
    public var frozen = false

    public init(keyId: String, role: Role, workspaceIds: [String], rateLimit: RateLimit? = nil) {
        self.keyId = keyId
        self.role = role
        self.workspaceIds = workspaceIds
        self.rateLimit = rateLimit
    }

    /// Whether this key may touch `workspaceId` at all.
    public func canAccess(workspaceId: String) -> Bool {
        role == .admin || (role == .service && workspaceIds.isEmpty) || workspaceIds.contains(workspaceId)
    }
}
