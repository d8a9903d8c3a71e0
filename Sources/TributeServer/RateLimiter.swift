import HTTPTypes
import Hummingbird
import TributeCore

/// The token buckets of the API keys calling this instance (SPEC §3.3): each authenticated
/// request takes one token from its key's bucket, shaped by the key's own `rateLimit` or
/// else `defaultLimit` (`TRIBUTE_RATE_LIMIT`); a key with neither is not limited.
///
/// Per instance: behind a load balancer spreading calls over N instances a key may make up
/// to N times its limit. Memory is bounded whatever callers send: buckets exist only for
/// keys that verified, at most `maxBuckets` of them. A full bucket is the same as none, so
/// full ones are dropped first; if that is not enough, the longest idle go.
final class RateLimiter: @unchecked Sendable {
    /// The limit of keys without one of their own; `nil` leaves them unlimited.
    let defaultLimit: RateLimit?
    /// The most buckets held.
    let maxBuckets: Int
    private let nowMillis: @Sendable () -> Int64
    private let lock = Lock()
    private var buckets: [String: TokenBucket] = [:]

    /// - Parameter nowMillis: the clock, in milliseconds; tests pass one they move by hand.
    init(defaultLimit: RateLimit?, maxBuckets: Int = 100_000, nowMillis: @escaping @Sendable () -> Int64) {
        precondition(maxBuckets >= 4, "a limiter needs room for a few buckets")
        self.defaultLimit = defaultLimit
        self.maxBuckets = maxBuckets
        self.nowMillis = nowMillis
    }

    /// Takes a token for `principal`.
    /// - Returns: the bucket's state, or `nil` when the key is not limited.
    /// - Throws: `429 rate_limited` with `Retry-After` and `RateLimit-*` when the bucket is empty.
    @discardableResult
    func take(_ principal: Principal) throws -> TokenBucket.Outcome? {
        guard let limit = principal.rateLimit ?? defaultLimit else { return nil }
        let nowMillis = nowMillis()
        let outcome = lock.withLock { take(keyId: principal.keyId, limit: limit, nowMillis: nowMillis) }
        guard outcome.allowed else { throw APIError.rateLimited(outcome) }
        return outcome
    }

    /// How many buckets are held, for tests.
    var bucketCount: Int { lock.withLock { buckets.count } }

    private func take(keyId: String, limit: RateLimit, nowMillis: Int64) -> TokenBucket.Outcome {
        if var bucket = buckets[keyId] {
            bucket.reshape(to: limit, nowMillis: nowMillis)
            let outcome = bucket.take(nowMillis: nowMillis)
            buckets[keyId] = bucket
            return outcome
        }
        if buckets.count >= maxBuckets { makeRoom(nowMillis: nowMillis) }
        var bucket = TokenBucket(limit: limit, nowMillis: nowMillis)
        let outcome = bucket.take(nowMillis: nowMillis)
        buckets[keyId] = bucket
        return outcome
    }

    /// Brings the buckets down to three quarters of `maxBuckets` at most, so that the
    /// next quarter of new keys needs no sweep: full buckets first (forgetting them changes
    /// nothing), then the longest idle (each may start full again: a small gift to the keys
    /// that called least lately).
    private func makeRoom(nowMillis: Int64) {
        buckets = buckets.filter { !$0.value.isFull(nowMillis: nowMillis) }
        let target = maxBuckets / 4 * 3
        guard buckets.count > target else { return }
        let kept = buckets.sorted { $0.value.updatedAtMillis > $1.value.updatedAtMillis }.prefix(target)
        buckets = Dictionary(uniqueKeysWithValues: kept.map { ($0.key, $0.value) })
    }
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
