import Foundation
import PropertyBased
import Testing
@testable import TributeCore

/// Token prices (SPEC §3.6) against a decimal model: `perCall + Σ rate × tokens / 10⁶`,
/// exact, rounded up to the micro-unit once, for any rates and counts up to the largest.
@Suite struct TokenPricingTests {
    /// The cost in micro-units by Foundation's `Decimal` (38 digits: every sum here is exact).
    static func modelMicros(perCall: Int64, rates: [Int64], tokens: [Int64]) -> Decimal {
        var total = Decimal(perCall) * 1_000_000
        for (rate, count) in zip(rates, tokens) { total += Decimal(rate) * Decimal(count) }
        var exact = total / 1_000_000
        var rounded = Decimal()
        NSDecimalRound(&rounded, &exact, 0, .up)
        return rounded
    }

    static func charge(perCall: Int64, rates: [Int64], tokens: [Int64]) -> TokenCharge? {
        func kinds<T>(_ values: [T]) -> PerTokenKind<T> {
            PerTokenKind(inputTokens: values[0], cachedInputTokens: values[1], cacheWriteTokens: values[2], outputTokens: values[3], reasoningTokens: values[4])
        }
        guard let usage = TokenUsage(kinds(tokens)) else { return nil }
        return TokenCharge(usage: usage, rates: TokenRates(kinds(rates.map { Amount(micros: $0) })), perCall: Amount(micros: perCall))
    }

    /// Rates up to the registry's largest (10⁶ actions per million tokens), often small, so
    /// that costs land between micro-units.
    static let rate = Gen.int64(in: 0...1_000_000_000_000).map { $0 % 4 == 0 ? $0 % 1_000 : $0 }
    static let tokens = Gen.int64(in: 0...TokenUsage.maxTokens).map { $0 % 3 == 0 ? $0 % 10_000 : $0 }

    @Test func aTokenCostIsTheExactSumRoundedUpOnce() async {
        await propertyCheck(count: 2_000, input: zip(Self.rate.array(of: 5...5), Self.tokens.array(of: 5...5), Gen.int64(in: 0...1_000_000_000_000))) { rates, tokens, perCall in
            guard let charge = Self.charge(perCall: perCall, rates: rates, tokens: tokens) else { Issue.record("counts in range refused"); return }
            let cost = charge.cost
            #expect(cost.map { Decimal($0.micros) } == Self.modelMicros(perCall: perCall, rates: rates, tokens: tokens), "\(rates) \(tokens) \(perCall)")
            // Each line alone is rounded up too, never below the exact product.
            for kind in TokenKind.allCases {
                let line = charge.amount(of: kind)
                #expect(line.map { Decimal($0.micros) } == Self.modelMicros(perCall: 0, rates: [charge.rates[kind].micros], tokens: [charge.usage[kind]]))
            }
        }
    }

    @Test func theLargestRatesAndCountsFitExactly() throws {
        let most = [Int64](repeating: 1_000_000_000_000, count: 5), tokens = [Int64](repeating: TokenUsage.maxTokens, count: 5)
        let charge = try #require(Self.charge(perCall: 1_000_000_000_000, rates: most, tokens: tokens))
        // 5 × 10⁶ actions per million × 10⁹ tokens + 10⁶ actions = 5,001,000,000 actions.
        #expect(charge.cost == Amount(units: 5_001_000_000))
        #expect(Decimal(try #require(charge.cost).micros) == Self.modelMicros(perCall: 1_000_000_000_000, rates: most, tokens: tokens))
        // Past `Amount.max` is nil, never a trap.
        let huge = TokenCharge(usage: try #require(TokenUsage(inputTokens: TokenUsage.maxTokens)),
                               rates: TokenRates(PerTokenKind(inputTokens: .max, cachedInputTokens: .zero, cacheWriteTokens: .zero, outputTokens: .zero, reasoningTokens: .zero)),
                               perCall: .zero)
        #expect(huge.cost == nil)
    }

    @Test func aSmallCallIsNeverFree() throws {
        // 1 token at 0.4 actions per million is 0.0000004 actions: rounded up, one micro-unit.
        let charge = try #require(Self.charge(perCall: 0, rates: [400_000, 0, 0, 0, 0], tokens: [1, 0, 0, 0, 0]))
        #expect(charge.cost == Amount(micros: 1))
        // Rounded once: three such kinds together are 1.2 micro-units → 2, not 3.
        let three = try #require(Self.charge(perCall: 0, rates: [400_000, 400_000, 400_000, 0, 0], tokens: [1, 1, 1, 0, 0]))
        #expect(three.cost == Amount(micros: 2))
        #expect(Self.charge(perCall: 0, rates: [0, 0, 0, 0, 0], tokens: [0, 0, 0, 0, 0])?.cost == .zero)
    }

    @Test func aCachedTokenIsChargedOnceAtTheCachedRate() throws {
        // 10,000 prompt tokens of which 8,000 cached: input 2.5 and cached 0.25 per million.
        let charge = try #require(Self.charge(perCall: 0, rates: [2_500_000, 250_000, 0, 0, 0], tokens: [2_000, 8_000, 0, 0, 0]))
        #expect(charge.cost == Amount(micros: 5_000 + 2_000))
        // Had the 8,000 been counted as input too, they would cost 20,000 more micro-units.
        #expect(Self.charge(perCall: 0, rates: [2_500_000, 250_000, 0, 0, 0], tokens: [10_000, 8_000, 0, 0, 0])?.cost == Amount(micros: 27_000))
    }

    @Test(arguments: [-1, TokenUsage.maxTokens + 1, Int64.max, Int64.min])
    func countsOutOfRangeAreNoUsage(count: Int64) {
        #expect(TokenUsage(inputTokens: count) == nil)
        #expect(TokenUsage(reasoningTokens: count) == nil)
    }

    @Test func storedRatesReadBackAndOtherTextIsRefused() {
        let rates = TokenRates(PerTokenKind(inputTokens: Amount(micros: 2_500_000), cachedInputTokens: Amount(micros: 1), cacheWriteTokens: .zero,
                                           outputTokens: .max, reasoningTokens: Amount(units: 3)))
        #expect(rates.stored == "2500000,1,0,1000000000000000000,3000000")
        #expect(TokenRates(stored: rates.stored) == rates)
        for text in ["", "1,2,3,4", "1,2,3,4,5,6", "1,2,3,4,-5", "1,2,3,4,x", "1,2,3,4, 5", "1,2,3,4,1000000000000000001", "1,2,3,4,99999999999999999999"] {
            #expect(TokenRates(stored: text) == nil, "\(text)")
        }
    }

    @Test func usageAndAMultiplierGoWithTheirOwnKindOfAction() throws {
        let perCall = ActionCost(actionType: "A", baseCost: Amount(units: 2), version: 1, updatedAt: 0)
        var perToken = perCall
        perToken.tokenRates = TokenRates(PerTokenKind(inputTokens: Amount(units: 1), cachedInputTokens: .zero, cacheWriteTokens: .zero, outputTokens: .zero, reasoningTokens: .zero))
        let usage = try #require(TokenUsage(inputTokens: 10))
        #expect(try Pricing.terms(of: perCall, multiplier: nil, usage: nil).multiplier == .one)
        #expect(try Pricing.terms(of: perCall, multiplier: Amount(units: 3), usage: nil).multiplier == Amount(units: 3))
        #expect(try Pricing.terms(of: perToken, multiplier: nil, usage: usage).tokens?.usage == usage)
        for (cost, multiplier, given) in [(perCall, nil, usage), (perCall, Amount.one, usage), (perToken, nil, nil), (perToken, Amount.one, usage), (perToken, Amount.one, nil)] as [(ActionCost, Amount?, TokenUsage?)] {
            #expect(throws: PricingError.self) { try Pricing.terms(of: cost, multiplier: multiplier, usage: given) }
        }
    }

    @Test func anExplanationKeepsItsTokensAndRates() throws {
        let charge = try #require(Self.charge(perCall: 10_000, rates: [2_500_000, 250_000, 0, 10_000_000, 0], tokens: [86, 1_920, 0, 172, 128]))
        let explanation = ChargeExplanation(baseCost: charge.perCall, costMultiplier: .one, grants: [GrantDraw(grantId: "g", amount: Amount(micros: 7))], tokens: charge)
        let charged = try #require(charge.cost)
        let text = explanation.encoded(actionsCharged: charged)
        #expect(text.contains(#""t":[[86,2500000],[1920,250000],0,[172,10000000],[128,0]]"#), "\(text)")
        #expect(ChargeExplanation(decoding: text, actionsCharged: charged) == explanation)
        #expect(text == explanation.jsonValue(actionsCharged: charged).serialized)
        #expect(ChargeExplanation(decoding: #"{"t":[0,0,0,0]}"#, actionsCharged: .zero) == nil)
        #expect(ChargeExplanation(decoding: #"{"t":[[-1,0],0,0,0,0]}"#, actionsCharged: .zero) == nil)
        #expect(ChargeExplanation(decoding: #"{"t":[[1,-1],0,0,0,0]}"#, actionsCharged: .zero) == nil)
    }
}

/// Budget windows (SPEC §3.7): UTC days, weeks from Monday, the billing period.
@Suite struct BudgetWindowTests {
    static func seconds(_ text: String) -> Int64 { (ISOTime.parse(text) ?? 0) / 1000 }
    static let billing = BillingPeriod(start: seconds("2026-12-07T00:00:00Z"), end: seconds("2027-01-07T00:00:00Z"))

    @Test(arguments: [
        // (now, day start, week start): 2026-12-07 is a Monday, 1970-01-01 a Thursday.
        ("2026-12-07T00:00:00Z", "2026-12-07T00:00:00Z", "2026-12-07T00:00:00Z"),
        ("2026-12-13T23:59:59Z", "2026-12-13T00:00:00Z", "2026-12-07T00:00:00Z"),
        ("2026-12-14T00:00:00Z", "2026-12-14T00:00:00Z", "2026-12-14T00:00:00Z"),
        ("2027-01-01T12:00:00Z", "2027-01-01T00:00:00Z", "2026-12-28T00:00:00Z"),
        ("2028-02-29T23:00:00Z", "2028-02-29T00:00:00Z", "2028-02-28T00:00:00Z"),
        ("1970-01-05T05:00:00Z", "1970-01-05T00:00:00Z", "1970-01-05T00:00:00Z"),
    ])
    func windowsStartAtUTCMidnightAndOnMonday(now: String, day: String, week: String) {
        let millis = Self.seconds(now) * 1000 + 999
        #expect(BudgetPeriod.day.windowStart(billing: Self.billing, nowMillis: millis) == Self.seconds(day))
        #expect(BudgetPeriod.week.windowStart(billing: Self.billing, nowMillis: millis) == Self.seconds(week))
        #expect(BudgetPeriod.day.resetsAt(billing: Self.billing, nowMillis: millis) == Self.seconds(day) + 86_400)
        #expect(BudgetPeriod.week.resetsAt(billing: Self.billing, nowMillis: millis) == Self.seconds(week) + 7 * 86_400)
        #expect(BudgetPeriod.month.windowStart(billing: Self.billing, nowMillis: millis) == Self.billing.start)
        #expect(BudgetPeriod.month.resetsAt(billing: Self.billing, nowMillis: millis) == Self.billing.end)
        #expect(BudgetPeriod.lifetime.resetsAt(billing: Self.billing, nowMillis: millis) == nil)
    }

    @Test func useStartsAfreshInANewWindowOnly() {
        let budget = Budget(scope: .workspace, limit: Amount(units: 5), unit: .actions, period: .day, used: Amount(units: 4))
        let monday = Self.seconds("2026-12-07T10:00:00Z") * 1000
        let stored = StoredBudget(using: budget, billing: Self.billing, nowMillis: monday)
        #expect(stored.current(billing: Self.billing, nowMillis: monday + 3_600_000).used == Amount(units: 4))
        #expect(stored.current(billing: Self.billing, nowMillis: monday + 14 * 3_600_000).used == .zero)
        // What was charged in the day counts in it, not in the next.
        #expect(stored.stillCounts(chargedAtMillis: monday, chargedPeriodStart: Self.billing.start, billing: Self.billing, nowMillis: monday + 60_000))
        #expect(!stored.stillCounts(chargedAtMillis: monday, chargedPeriodStart: Self.billing.start, billing: Self.billing, nowMillis: monday + 14 * 3_600_000))
    }

    @Test func aClockBehindAnotherInstancesNeverOpensACap() {
        // Another instance, already past midnight, stored 4 actions used in the new day.
        let tuesday = Self.seconds("2026-12-08T00:00:01Z")
        let stored = StoredBudget(budget: Budget(scope: .workspace, limit: Amount(units: 5), unit: .actions, period: .day, used: Amount(units: 4)),
                                  periodStart: Self.seconds("2026-12-08T00:00:00Z"))
        // This one is a second behind, still on Monday: it sees the newer day's use, not zero,
        // and writes its own call's use into that day, never back into Monday.
        let behind = (tuesday - 2) * 1000
        var current = stored.current(billing: Self.billing, nowMillis: behind)
        #expect(current.used == Amount(units: 4))
        current.used += .one
        #expect(stored.using(current, billing: Self.billing, nowMillis: behind).periodStart == stored.periodStart)
        #expect(stored.current(billing: Self.billing, nowMillis: (tuesday + 86_400) * 1000).used == .zero)
    }

    @Test func scopesParseAndPrint() {
        #expect(BudgetScope(parsing: "workspace") == .workspace && BudgetScope.workspace.description == "workspace")
        #expect(BudgetScope(parsing: "key:key_1") == BudgetScope(kind: .key, id: "key_1"))
        for text in ["workspace:x", "workspace:", "key:", "Workspace", "keys:x"] { #expect(BudgetScope(parsing: text) == nil, "\(text)") }
    }
}
