extension TributeClient {
    /// How a client retries, what it does when Tribute cannot be reached, and how long one
    /// HTTP attempt may take.
    public struct Configuration: Sendable {
        public var retry: RetryPolicy
        public var outagePolicy: OutagePolicy
        /// The longest one attempt may take, connection included; never past what is left of
        /// the retry policy's time budget.
        public private(set) var requestTimeoutMillis: Int64

        /// The defaults: `RetryPolicy.standard`, `.failClosed`, 5 s per attempt.
        public init(retry: RetryPolicy = .standard, outagePolicy: OutagePolicy = .failClosed, requestTimeoutMillis: Int64 = 5_000) {
            self.retry = retry
            self.outagePolicy = outagePolicy
            self.requestTimeoutMillis = min(max(1, requestTimeoutMillis), 600_000)
        }
    }

    /// Retries of a call that failed in transit or answered 429, 500, 502, 503 or 504:
    /// exponential backoff with full jitter, bounded both in attempts and in time.
    public struct RetryPolicy: Sendable, Equatable {
        /// How the delay before a retry is drawn.
        public enum Jitter: Sendable, Equatable {
            /// Uniformly from 0 to the exponential delay ("full jitter"), so that many clients
            /// failing together do not retry together.
            case full
            /// Exactly the exponential delay.
            case none
        }

        /// Attempts in all, the first included (1 to 100).
        public private(set) var maxAttempts: Int
        /// The exponential delay before the first retry; it doubles at each retry.
        public private(set) var baseDelayMillis: Int64
        /// The longest delay between two attempts, a `Retry-After` included.
        public private(set) var maxDelayMillis: Int64
        /// The longest a call may take, all attempts and delays together: no retry starts
        /// that could not begin before it is spent, and each attempt's timeout ends with it.
        public private(set) var totalBudgetMillis: Int64
        public var jitter: Jitter

        /// 5 attempts, 100 ms doubling up to 2 s, at most 10 s in all, full jitter.
        public static let standard = RetryPolicy(maxAttempts: 5, baseDelayMillis: 100, maxDelayMillis: 2_000, totalBudgetMillis: 10_000)
        /// One attempt, no retry.
        public static let never = RetryPolicy(maxAttempts: 1, baseDelayMillis: 1, maxDelayMillis: 1, totalBudgetMillis: 10_000)

        /// Values out of range are brought into it: attempts 1 to 100, delays and budget from
        /// 1 ms to one hour, the largest delay at least the base one. The numbers are set here
        /// only, so that they stay in range.
        public init(maxAttempts: Int, baseDelayMillis: Int64, maxDelayMillis: Int64, totalBudgetMillis: Int64, jitter: Jitter = .full) {
            let hourMillis: Int64 = 3_600_000
            self.maxAttempts = min(max(1, maxAttempts), 100)
            self.baseDelayMillis = min(max(1, baseDelayMillis), hourMillis)
            self.maxDelayMillis = min(max(self.baseDelayMillis, maxDelayMillis), hourMillis)
            self.totalBudgetMillis = min(max(1, totalBudgetMillis), hourMillis)
            self.jitter = jitter
        }
    }

    /// What `authorizeAndDebit` and `hold` answer when Tribute cannot be reached (every
    /// attempt failed in transit or with 500/502/503/504). A 4xx is never an outage.
    public enum OutagePolicy: Sendable {
        /// Throw `TributeClientError.unavailable`: nothing runs that Tribute did not approve.
        case failClosed
        /// Allow up to `maxActions` calls locally (approved decisions with `recorded ==
        /// false`), then fail closed. `onUnrecorded` is called once for each, at once, in the
        /// calling task, before the call returns. They count against `maxActions` until
        /// `drainUnrecorded()` takes them.
        case failOpen(maxActions: Int, onUnrecorded: @Sendable (UnrecordedAction) -> Void)
    }
}
