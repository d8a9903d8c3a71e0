import Testing
@testable import TributeClient

/// The delay before each retry, without waiting.
@Suite struct BackoffTests {
    static let policy = TributeClient.RetryPolicy(maxAttempts: 10, baseDelayMillis: 100, maxDelayMillis: 2_000, totalBudgetMillis: 10_000, jitter: .none)

    @Test(arguments: [(1, 100), (2, 200), (3, 400), (4, 800), (5, 1_600), (6, 2_000), (60, 2_000)])
    func theDelayDoublesFromTheBaseUpToTheLargest(attempt: Int, expectedMillis: Int64) {
        #expect(Backoff.delayMillis(afterAttempt: attempt, retryAfterSeconds: nil, policy: Self.policy, random: { $0.upperBound }) == expectedMillis)
    }

    @Test func fullJitterDrawsFromZeroToTheExponentialDelay() {
        var policy = Self.policy
        policy.jitter = .full
        var ranges: [ClosedRange<Int64>] = []
        let drawn = Backoff.delayMillis(afterAttempt: 3, retryAfterSeconds: nil, policy: policy) { range in
            ranges.append(range)
            return range.lowerBound
        }
        #expect(ranges == [0...400] && drawn == 0)
        // A random source out of range cannot push the delay out of it.
        #expect(Backoff.delayMillis(afterAttempt: 3, retryAfterSeconds: nil, policy: policy) { _ in 1_000_000 } == 400)
    }

    @Test(arguments: [(1, 1_000), (0, 0), (3, 2_000), (Int64.max, 2_000), (-5, 0)] as [(Int64, Int64)])
    func retryAfterIsHonouredUpToTheLargestDelay(seconds: Int64, expectedMillis: Int64) {
        #expect(Backoff.delayMillis(afterAttempt: 1, retryAfterSeconds: seconds, policy: Self.policy, random: { _ in 0 }) == expectedMillis)
    }

    @Test func aPolicyOutOfRangeIsBroughtIntoIt() {
        let policy = TributeClient.RetryPolicy(maxAttempts: 0, baseDelayMillis: -1, maxDelayMillis: -10, totalBudgetMillis: 0)
        #expect(policy.maxAttempts == 1 && policy.baseDelayMillis == 1 && policy.maxDelayMillis == 1 && policy.totalBudgetMillis == 1)
        #expect(TributeClient.RetryPolicy(maxAttempts: 1_000, baseDelayMillis: 10, maxDelayMillis: 5, totalBudgetMillis: .max).maxAttempts == 100)
    }
}
