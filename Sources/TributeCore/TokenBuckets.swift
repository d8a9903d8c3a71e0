/// Token buckets by key (an API key's id, a client address), bounded in number whatever
/// keys callers bring: at most `maxBuckets`. A full bucket is the same as none, so when
/// room is needed full ones are dropped first, then the longest idle, down to three
/// quarters of the bound, so that the next quarter of new keys needs no sweep. Not
/// thread-safe: its owner holds it under a lock.
public struct TokenBuckets<Key: Hashable & Sendable>: Sendable {
    /// The most buckets held.
    public let maxBuckets: Int
    private var buckets: [Key: TokenBucket] = [:]

    public init(maxBuckets: Int) {
        precondition(maxBuckets >= 4, "a limiter needs room for a few buckets")
        self.maxBuckets = maxBuckets
    }

    /// How many buckets are held.
    public var count: Int { buckets.count }

    /// Takes a token from `key`'s bucket, shaped by `limit` (a bucket made now if it has
    /// none, reshaped if its limit changed); says what is left either way.
    public mutating func take(_ key: Key, limit: RateLimit, nowMillis: Int64) -> TokenBucket.Outcome {
        var bucket: TokenBucket
        if let held = buckets[key] {
            bucket = held
            bucket.reshape(to: limit, nowMillis: nowMillis)
        } else {
            if buckets.count >= maxBuckets { makeRoom(nowMillis: nowMillis) }
            bucket = TokenBucket(limit: limit, nowMillis: nowMillis)
        }
        let outcome = bucket.take(nowMillis: nowMillis)
        buckets[key] = bucket
        return outcome
    }

    /// What `take` would answer now, without taking a token or holding a bucket.
    public func peek(_ key: Key, limit: RateLimit, nowMillis: Int64) -> TokenBucket.Outcome {
        var bucket = buckets[key] ?? TokenBucket(limit: limit, nowMillis: nowMillis)
        return bucket.take(nowMillis: nowMillis)
    }

    private mutating func makeRoom(nowMillis: Int64) {
        buckets = buckets.filter { !$0.value.isFull(nowMillis: nowMillis) }
        let target = maxBuckets / 4 * 3
        guard buckets.count > target else { return }
        let kept = buckets.sorted { $0.value.updatedAtMillis > $1.value.updatedAtMillis }.prefix(target)
        buckets = Dictionary(uniqueKeysWithValues: kept.map { ($0.key, $0.value) })
    }
}
