/// Changes to an API key; `nil` leaves a field as it is. Role, workspaces and secret never
/// change: a key with other powers is a new key.
public struct APIKeyPatch: Sendable, Equatable {
    /// What becomes of the key's own rate limit.
    public enum RateLimitChange: Sendable, Equatable {
        /// The key gets this limit of its own.
        case set(RateLimit)
        /// The key drops its own limit and follows the server's default again.
        case useDefault
    }

    public var name: String?
    public var rateLimit: RateLimitChange?
    /// Frozen or thawed (SPEC §3.7): a frozen key is refused on every call until thawed.
    public var status: APIKeyStatus?

    public init(name: String? = nil, rateLimit: RateLimitChange? = nil, status: APIKeyStatus? = nil) {
        self.name = name
        self.rateLimit = rateLimit
        self.status = status
    }
}

/// Whether a live key may be used: a frozen key is refused (`403 key_frozen`) until an
/// admin thaws it; unlike a revoked one, it keeps its id, budgets and secret.
public enum APIKeyStatus: String, Sendable, CaseIterable {
    case active
    case frozen
}

extension APIKeyPatch.RateLimitChange {
    /// The key's own limit after the change; `nil` follows the server's default.
    public var ownLimit: RateLimit? {
        switch self {
        case .set(let limit): limit
        case .useDefault: nil
        }
    }
}
