import Testing
@testable import TributeCore

@Suite struct RateLimitTests {
    @Test(arguments: [("1:1", 1, 1), ("50:100", 50, 100), ("1000000:1000000", 1_000_000, 1_000_000), ("007:3", 7, 3)] as [(String, Int64, Int64)])
    func configurationTextParsesAsPerSecondThenBurst(text: String, perSecond: Int64, burst: Int64) throws {
        let limit = try #require(RateLimit(configuration: text))
        #expect(limit.perSecond == perSecond && limit.burst == burst)
    }

    @Test(arguments: [
        "", "5", "5:", ":5", "0:5", "5:0", "-1:5", "5:-1", "1.5:3", "5:3:1", " 5:3", "5:3 ", "+5:3", "1000001:1", "1:1000001",
        "99999999999999999999:1", "1e3:5", "five:3", "５:3",
    ])
    func badConfigurationTextIsRefused(text: String) {
        #expect(RateLimit(configuration: text) == nil)
    }

    @Test(arguments: [(0, 1), (1, 0), (-1, 5), (5, -1), (1_000_001, 1), (1, 1_000_001), (Int64.max, Int64.max), (Int64.min, 1)] as [(Int64, Int64)])
    func valuesOutsideTheRangeMakeNoLimit(perSecond: Int64, burst: Int64) {
        #expect(RateLimit(perSecond: perSecond, burst: burst) == nil)
    }

    @Test func aNewBucketAllowsTheWholeBurstThenRefuses() throws {
        let limit = try #require(RateLimit(perSecond: 1, burst: 3))
        var bucket = TokenBucket(limit: limit, nowMillis: 0)
        let remaining = (0..<3).map { _ in bucket.take(nowMillis: 0) }.map { $0.allowed ? $0.remaining : -1 }
        #expect(remaining == [2, 1, 0])
        let refused = bucket.take(nowMillis: 0)
        #expect(refused == TokenBucket.Outcome(allowed: false, limit: 3, remaining: 0, resetSeconds: 3, retryAfterSeconds: 1))
    }

    @Test func tokensComeBackAtTheRateExactlyToTheMillisecond() throws {
        let limit = try #require(RateLimit(perSecond: 4, burst: 1))
        var bucket = TokenBucket(limit: limit, nowMillis: 1_000)
        #expect(bucket.take(nowMillis: 1_000).allowed)
        // A token every 250 ms: not at 249, yes at 250.
        #expect(!bucket.take(nowMillis: 1_249).allowed)
        #expect(bucket.take(nowMillis: 1_250).allowed)
        #expect(!bucket.take(nowMillis: 1_250).allowed)
        #expect(bucket.take(nowMillis: 1_500).allowed)
    }

    @Test func refillStopsAtTheBurst() throws {
        let limit = try #require(RateLimit(perSecond: 10, burst: 2))
        var bucket = TokenBucket(limit: limit, nowMillis: 0)
        #expect(bucket.take(nowMillis: 0).allowed)
        #expect(bucket.take(nowMillis: 0).allowed)
        // An hour later: still only the burst.
        let hour: Int64 = 3_600_000
        #expect(bucket.isFull(nowMillis: hour))
        #expect(bucket.take(nowMillis: hour).remaining == 1)
        #expect(bucket.take(nowMillis: hour).allowed)
        #expect(!bucket.take(nowMillis: hour).allowed)
    }

    @Test(arguments: [
        // (perSecond, burst, ms after emptying, retry-after s, reset s)
        (1, 3, 0, 1, 3), (1, 3, 999, 1, 3), (1, 60, 0, 1, 60), (2, 10, 0, 1, 5), (1_000_000, 1_000_000, 0, 1, 1),
    ] as [(Int64, Int64, Int64, Int64, Int64)])
    func aRefusalSaysWhenToComeBackInWholeSecondsOfAtLeastOne(perSecond: Int64, burst: Int64, waitMillis: Int64, retryAfter: Int64, reset: Int64) throws {
        let limit = try #require(RateLimit(perSecond: perSecond, burst: burst))
        var bucket = TokenBucket(limit: limit, nowMillis: 0)
        for _ in 0..<burst { _ = bucket.take(nowMillis: 0) }
        let refused = bucket.take(nowMillis: waitMillis)
        #expect(!refused.allowed)
        #expect(refused.retryAfterSeconds == retryAfter)
        #expect(refused.resetSeconds == reset)
        #expect(refused.remaining == 0)
    }

    @Test func aClockThatGoesBackEarnsNothingAndDoesNotLockTheKeyOut() throws {
        let limit = try #require(RateLimit(perSecond: 1, burst: 1))
        var bucket = TokenBucket(limit: limit, nowMillis: 10_000_000)
        #expect(bucket.take(nowMillis: 10_000_000).allowed)
        // The wall clock is set back an hour: no tokens from that, but a second later one.
        #expect(!bucket.take(nowMillis: 6_400_000).allowed)
        #expect(bucket.take(nowMillis: 6_401_000).allowed)
    }

    @Test(arguments: [(Int64.min, Int64.max), (0, Int64.max), (Int64.max, Int64.min), (-1, Int64.max)] as [(Int64, Int64)])
    func extremeClockReadingsNeverTrap(start: Int64, later: Int64) throws {
        let limit = try #require(RateLimit(perSecond: RateLimit.maxValue, burst: RateLimit.maxValue))
        var bucket = TokenBucket(limit: limit, nowMillis: start)
        _ = bucket.take(nowMillis: start)
        let outcome = bucket.take(nowMillis: later)
        #expect(outcome.remaining <= RateLimit.maxValue)
        #expect(bucket.milliTokens >= 0 && bucket.milliTokens <= bucket.capacityMilliTokens)
    }

    @Test func loweringALimitKeepsTheTokensSpentAndRaisingItGivesNoneForFree() throws {
        let wide = try #require(RateLimit(perSecond: 1, burst: 10))
        let narrow = try #require(RateLimit(perSecond: 1, burst: 2))
        var bucket = TokenBucket(limit: wide, nowMillis: 0)
        for _ in 0..<9 { #expect(bucket.take(nowMillis: 0).allowed) }
        bucket.reshape(to: narrow, nowMillis: 0)
        #expect(bucket.take(nowMillis: 0).allowed)
        #expect(!bucket.take(nowMillis: 0).allowed)
        bucket.reshape(to: wide, nowMillis: 0)
        #expect(!bucket.take(nowMillis: 0).allowed)
        #expect(bucket.take(nowMillis: 1_000).limit == 10)
    }
}
