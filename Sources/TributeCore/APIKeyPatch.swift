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

    public init(name: String? = nil, rateLimit: RateLimitChange? = nil) {
        self.name = name
        self.rateLimit = rateLimit
    }
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
