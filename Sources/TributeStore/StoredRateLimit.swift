import TributeCore

/// A stored API key that is none of what the code writes: a bug or a hand edit, not a
/// caller's error (answered 500, with a log line).
enum APIKeyRowFault: Error {
    /// `api_keys.rate_limit_per_second`/`rate_limit_burst` hold a pair no request could set.
    case invalidRateLimit(String)
}

extension RateLimit {
    /// A key's limit as stored in `api_keys.rate_limit_per_second` and `rate_limit_burst`:
    /// both NULL is no limit of its own.
    /// - Throws: `APIKeyRowFault.invalidRateLimit` for a pair the schema's CHECKs should have refused.
    static func stored(perSecond: Int64?, burst: Int64?) throws -> RateLimit? {
        if perSecond == nil && burst == nil { return nil }
        guard let perSecond, let burst, let limit = RateLimit(perSecond: perSecond, burst: burst) else {
            throw APIKeyRowFault.invalidRateLimit("\(perSecond.map(String.init) ?? "NULL"):\(burst.map(String.init) ?? "NULL")")
        }
        return limit
    }
}
