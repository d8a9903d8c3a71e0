/// The delay before a retry: pure, so that it is tested without waiting.
enum Backoff {
    /// The longest `Retry-After` taken into account, so that no header can overflow a delay.
    static let maxRetryAfterSeconds: Int64 = 86_400

    /// The delay after failed attempt number `attempt` (from 1). A `Retry-After` from the
    /// server is honoured as given, up to the policy's largest delay; otherwise the delay is
    /// `baseDelayMillis × 2^(attempt-1)`, at most `maxDelayMillis`, drawn by `random` from
    /// 0 to that under full jitter.
    static func delayMillis(afterAttempt attempt: Int, retryAfterSeconds: Int64?, policy: TributeClient.RetryPolicy,
                            random: (ClosedRange<Int64>) -> Int64) -> Int64 {
        if let retryAfterSeconds {
            return min(max(0, min(retryAfterSeconds, maxRetryAfterSeconds)) * 1000, policy.maxDelayMillis)
        }
        let doublings = min(max(0, attempt - 1), 40)
        let ceiling = policy.baseDelayMillis > policy.maxDelayMillis >> doublings ? policy.maxDelayMillis : policy.baseDelayMillis << doublings
        switch policy.jitter {
        case .none: return ceiling
        case .full: return min(max(0, random(0...ceiling)), ceiling)
        }
    }
}
