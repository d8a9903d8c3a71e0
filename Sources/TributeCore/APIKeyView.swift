/// An API key's public record (never the secret).
public struct APIKeyView: Sendable, Equatable {
    public var id: String
    public var role: Role
    public var workspaceIds: [String]
    public var name: String?
    public var createdAtMillis: Int64
    /// The first characters of the key, to recognise it.
    public var prefix: String
    /// The key's own rate limit; `nil` (shown as `null`) follows the server's default.
    public var rateLimit: RateLimit?
    public var status: APIKeyStatus = .active

    public init(id: String, role: Role, workspaceIds: [String], name: String?, createdAtMillis: Int64, prefix: String, rateLimit: RateLimit? = nil,
                status: APIKeyStatus = .active) {
        self.status = status
        self.id = id
        self.role = role
        self.workspaceIds = workspaceIds
        self.name = name
        self.createdAtMillis = createdAtMillis
        self.prefix = prefix
        self.rateLimit = rateLimit
    }
}
