/// A stored dashboard session: what the store keeps of it, which is never the secret.
public struct DashboardSessionRecord: Sendable, Equatable {
    /// Lower-case hex SHA-256 of the session's secret.
    public var secretHash: String
    /// The API key the session was signed in with; it acts with that key's role.
    public var keyId: String
    public var createdAtMillis: Int64
    /// `createdAtMillis + DashboardSessionPolicy.lifetimeMillis`.
    public var expiresAtMillis: Int64

    public init(secretHash: String, keyId: String, createdAtMillis: Int64, expiresAtMillis: Int64) {
        self.secretHash = secretHash
        self.keyId = keyId
        self.createdAtMillis = createdAtMillis
        self.expiresAtMillis = expiresAtMillis
    }
}
