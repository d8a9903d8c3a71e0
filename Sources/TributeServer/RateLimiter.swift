import HTTPTypes
import Hummingbird
import TributeCore

/// The token buckets of the API keys calling this instance (SPEC §3.3): each authenticated
/// request takes one token from its key's bucket, shaped by the key's own `rateLimit` or
/// else `defaultLimit` (`TRIBUTE_RATE_LIMIT`); a key with neither is not limited.
///
/// Per instance: behind a load balancer spreading calls over N instances a key may make up
/// to N times its limit. Memory is bounded whatever callers send: buckets exist only for
/// keys that verified, at most `maxBuckets` of them (`TokenBuckets`).
final class RateLimiter: @unchecked Sendable {
    /// The limit of keys without one of their own; `nil` leaves them unlimited.
    let defaultLimit: RateLimit?
    private let nowMillis: @Sendable () -> Int64
    private let lock = Lock()
    private var buckets: TokenBuckets<String>

    /// - Parameter nowMillis: the clock, in milliseconds; tests pass one they move by hand.
    init(defaultLimit: RateLimit?, maxBuckets: Int = 100_000, nowMillis: @escaping @Sendable () -> Int64) {
        self.defaultLimit = defaultLimit
        self.buckets = TokenBuckets(maxBuckets: maxBuckets)
        self.nowMillis = nowMillis
    }

    /// The most buckets held.
    var maxBuckets: Int { buckets.maxBuckets }

    /// Takes a token for `principal`.
    /// - Returns: the bucket's state, or `nil` when the key is not limited.
    /// - Throws: `429 rate_limited` with `Retry-After` and `RateLimit-*` when the bucket is empty.
    @discardableResult
    func take(_ principal: Principal) throws -> TokenBucket.Outcome? {
        guard let limit = principal.rateLimit ?? defaultLimit else { return nil }
        let nowMillis = nowMillis()
        let outcome = lock.withLock { buckets.take(principal.keyId, limit: limit, nowMillis: nowMillis) }
        guard outcome.allowed else { throw APIError.rateLimited(outcome) }
        return outcome
    }

    /// How many buckets are held, for tests.
    var bucketCount: Int { lock.withLock { buckets.count } }
}

extension APIError {
    /// `429 rate_limited`: the key's bucket is empty. Says when to come back.
    static func rateLimited(_ outcome: TokenBucket.Outcome) -> APIError {
        var error = APIError(
            status: .tooManyRequests, code: "rate_limited",
            message: "This key has made more calls than its rate limit allows; retry in \(outcome.retryAfterSeconds) s")
        error.headers[.retryAfter] = String(outcome.retryAfterSeconds)
        error.headers.append(rateLimitFieldsOf: outcome)
        return error
    }
}

extension HTTPFields {
    /// `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` (seconds), as in the
    /// IETF httpapi rate-limit headers draft.
    mutating func append(rateLimitFieldsOf outcome: TokenBucket.Outcome) {
        self[.rateLimitLimit] = String(outcome.limit)
        self[.rateLimitRemaining] = String(outcome.remaining)
        self[.rateLimitReset] = String(outcome.resetSeconds)
    }
}

extension HTTPField.Name {
    static let rateLimitLimit = HTTPField.Name("RateLimit-Limit")!
    static let rateLimitRemaining = HTTPField.Name("RateLimit-Remaining")!
    static let rateLimitReset = HTTPField.Name("RateLimit-Reset")!
}
