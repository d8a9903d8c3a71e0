import TributeCore

/// The rules every store applies to dashboard sessions (docs/dashboard.md).
///
/// A session is what the dashboard's cookie names instead of the API key: a random secret
/// made at sign-in, of which the store keeps only the SHA-256. It ends at sign-out, when its
/// key is revoked, or `lifetimeMillis` after sign-in, whichever comes first: an absolute
/// lifetime, not a sliding one, so a stolen cookie is worth at most half a day.
public enum DashboardSessionPolicy {
    /// Twelve hours from sign-in, however active the session is.
    public static let lifetimeMillis: Int64 = 12 * 3_600_000
    /// Live sessions one key may have; signing in once more ends its oldest. Sign-in spam
    /// cannot grow the table past this per key.
    public static let maxPerKey = 100
    /// Expired sessions removed per sign-in: the sweep's work is bounded, and each sign-in
    /// removes more than the one row it adds.
    public static let sweepLimit = 1_000
    /// Base-62 characters of a secret after its prefix: 44 × log2(62) ≈ 262 bits, more than
    /// 32 random bytes.
    public static let secretRandomCharacters = 44
    public static let secretPrefix = "tds_"

    /// A new secret from the system's cryptographic generator.
    static func makeSecret() -> String {
        secretPrefix + Identifier.randomBase62(count: secretRandomCharacters)
    }

    /// Whether `text` could be a secret this policy makes: anything else is refused without
    /// a database read.
    public static func isWellFormed(_ text: String) -> Bool {
        text.utf8.count == secretPrefix.utf8.count + secretRandomCharacters && text.hasPrefix(secretPrefix)
            && text.utf8.dropFirst(secretPrefix.utf8.count).allSatisfy { byte in
                (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122)
            }
    }
}
