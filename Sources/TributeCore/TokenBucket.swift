/// One API key's token bucket: pure arithmetic over a clock the caller reads.
///
/// Tokens are counted in thousandths so that a clock in whole milliseconds refills the
/// bucket exactly: each millisecond adds `perSecond` thousandths. With `RateLimit.maxValue`
/// as the bound of both values, every quantity stays below 10^12; the one product that could
/// grow without bound (elapsed time × rate) is checked and saturates at a full bucket.
public struct TokenBucket: Sendable, Equatable {
    /// Thousandths of a token in one token.
    public static let milliTokensPerToken: Int64 = 1_000

    public private(set) var limit: RateLimit
    /// Thousandths of a token held, from 0 to `capacityMilliTokens`.
    public private(set) var milliTokens: Int64
    /// When `milliTokens` was last brought up to date.
    public private(set) var updatedAtMillis: Int64

    /// A full bucket: a key that has not called lately may use its whole burst.
    public init(limit: RateLimit, nowMillis: Int64) {
        self.limit = limit
        self.milliTokens = limit.burst * TokenBucket.milliTokensPerToken
        self.updatedAtMillis = nowMillis
    }

    /// What a bucket of `limit` holds when full.
    public var capacityMilliTokens: Int64 { limit.burst * TokenBucket.milliTokensPerToken }

    /// Takes one token when there is one; either way says what is left and when it refills.
    public mutating func take(nowMillis: Int64) -> Outcome {
        refill(nowMillis: nowMillis)
        let allowed = milliTokens >= TokenBucket.milliTokensPerToken
        if allowed { milliTokens -= TokenBucket.milliTokensPerToken }
        return Outcome(
            allowed: allowed, limit: limit.burst, remaining: milliTokens / TokenBucket.milliTokensPerToken,
            resetSeconds: seconds(untilHolding: capacityMilliTokens),
            retryAfterSeconds: allowed ? 0 : max(1, seconds(untilHolding: TokenBucket.milliTokensPerToken)))
    }

    /// Whether the bucket would be full at `nowMillis`: then it is the same as a new one,
    /// and may be forgotten.
    public func isFull(nowMillis: Int64) -> Bool {
        var copy = self
        copy.refill(nowMillis: nowMillis)
        return copy.milliTokens == copy.capacityMilliTokens
    }

    /// Follows a changed limit, keeping the tokens held up to the new burst: lowering a
    /// key's limit does not hand it a fresh burst.
    public mutating func reshape(to newLimit: RateLimit, nowMillis: Int64) {
        guard newLimit != limit else { return }
        refill(nowMillis: nowMillis)
        limit = newLimit
        milliTokens = min(milliTokens, capacityMilliTokens)
    }

    /// Adds what the time since `updatedAtMillis` earned. A clock that went back (the wall
    /// clock was set) earns nothing and restarts the count from `nowMillis`, so that the
    /// key is not locked out until the clock catches up.
    private mutating func refill(nowMillis: Int64) {
        defer { updatedAtMillis = nowMillis }
        let (elapsedMillis, elapsedOverflow) = nowMillis.subtractingReportingOverflow(updatedAtMillis)
        guard !elapsedOverflow, elapsedMillis > 0 else { return }
        let missing = capacityMilliTokens - milliTokens
        let (earned, earnedOverflow) = elapsedMillis.multipliedReportingOverflow(by: limit.perSecond)
        milliTokens = earnedOverflow || earned >= missing ? capacityMilliTokens : milliTokens + earned
    }

    /// Whole seconds, rounded up, until the bucket holds `target` thousandths (0 if it does).
    private func seconds(untilHolding target: Int64) -> Int64 {
        let missing = target - milliTokens
        guard missing > 0 else { return 0 }
        let millis = (missing + limit.perSecond - 1) / limit.perSecond
        return (millis + 999) / 1_000
    }

    /// The result of one `take`: what the `RateLimit-*` and `Retry-After` headers say.
    public struct Outcome: Sendable, Equatable {
        /// Whether a token was taken and the request may go on.
        public var allowed: Bool
        /// The burst: the most calls the key may make at once.
        public var limit: Int64
        /// Whole tokens left after this call.
        public var remaining: Int64
        /// Seconds until the bucket is full again.
        public var resetSeconds: Int64
        /// Seconds until the next token, at least 1, when refused; 0 when allowed.
        public var retryAfterSeconds: Int64

        public init(allowed: Bool, limit: Int64, remaining: Int64, resetSeconds: Int64, retryAfterSeconds: Int64) {
            self.allowed = allowed
            self.limit = limit
            self.remaining = remaining
            self.resetSeconds = resetSeconds
            self.retryAfterSeconds = retryAfterSeconds
        }
    }
}
