/// How failed deliveries are retried: exponential backoff from `baseDelayMillis`, doubling
/// up to `maxDelayMillis`, for at most `maxAttempts` attempts in all.
public struct RetryPolicy: Sendable, Equatable {
    public var baseDelayMillis: Int64
    public var maxDelayMillis: Int64
    public var maxAttempts: Int

    /// 30 s, 1 min, 2 min, … capped at 6 h, 12 attempts: about 16 hours in all.
    public static let standard = RetryPolicy(baseDelayMillis: 30_000, maxDelayMillis: 6 * 3_600_000, maxAttempts: 12)

    public init(baseDelayMillis: Int64, maxDelayMillis: Int64, maxAttempts: Int) {
        self.baseDelayMillis = max(1, baseDelayMillis)
        self.maxDelayMillis = max(self.baseDelayMillis, maxDelayMillis)
        self.maxAttempts = max(1, maxAttempts)
    }

    /// When to try again after failed attempt number `attempt` (from 1), or `nil` to give up.
    public func nextAttemptAt(afterAttempt attempt: Int, nowMillis: Int64) -> Int64? {
        guard attempt < maxAttempts else { return nil }
        let doublings = min(attempt - 1, 40)
        let delay = baseDelayMillis > maxDelayMillis >> doublings ? maxDelayMillis : min(maxDelayMillis, baseDelayMillis << doublings)
        return nowMillis + delay
    }
}
