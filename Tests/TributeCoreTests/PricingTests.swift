import Testing
@testable import TributeCore

@Suite struct PricingTests {
    func input(base: Int64 = 1, multiplier: Amount = .one, allowance: Int64, policy: OveragePolicy = .credits, rate: Amount = .one, credits: Int64, budgets: [Budget] = [], suspended: Bool = false) -> PricingInput {
        PricingInput(baseCost: Amount(units: base), costMultiplier: multiplier, allowanceLeft: Amount(units: allowance), overagePolicy: policy, overageRate: rate, creditsAvailable: Amount(units: credits), budgets: budgets, suspended: suspended)
    }

    @Test(arguments: [(allowanceLeft: Int64(3), cost: Int64(2), fromCredits: Int64(0)), (1, 2, 1), (0, 2, 2)])
    func overageIsChargedOnlyForWhatTheAllowanceCannotCover(allowanceLeft: Int64, cost: Int64, fromCredits: Int64) throws {
        let outcome = try Pricing.price(input(base: cost, allowance: allowanceLeft, credits: 10))
        #expect(outcome.reason == .approved)
        #expect(outcome.actionsCharged == Amount(units: cost))
        #expect(outcome.fromAllowance == Amount(units: cost - fromCredits))
        #expect(outcome.creditsDebited == Amount(units: fromCredits))
    }

    @Test(arguments: [
        (allowance: Int64(1), policy: OveragePolicy.block, credits: Int64(100), reason: DecisionReason.planLimitReached),
        (0, .credits, 1, .insufficientBalance),
        (5, .block, 0, .approved),
        (0, .credits, 2, .approved),
    ])
    func overagePolicyDecides(allowance: Int64, policy: OveragePolicy, credits: Int64, reason: DecisionReason) throws {
        let outcome = try Pricing.price(input(base: 2, allowance: allowance, policy: policy, credits: credits))
        #expect(outcome.reason == reason)
        if reason != .approved {
            #expect(outcome.fromAllowance == .zero)
            #expect(outcome.creditsDebited == .zero)
        }
    }

    @Test func overageRateAndMultiplierAreExact() throws {
        // 3 × 1.333333 = 3.999999 actions, all overage at 0.1 credits: 0.3999999 → 0.4 (half up).
        let outcome = try Pricing.price(input(base: 3, multiplier: Amount(micros: 1_333_333), allowance: 0, rate: Amount(micros: 100_000), credits: 1))
        #expect(outcome.actionsCharged == Amount(micros: 3_999_999))
        #expect(outcome.creditsDebited == Amount(micros: 400_000))
    }

    @Test func aBudgetWithoutRoomDeniesAndChargesNothing() throws {
        let full = Budget(scope: BudgetScope(kind: .agent, id: "a"), limit: Amount(units: 5), unit: .actions, period: .month, used: Amount(units: 4))
        let outcome = try Pricing.price(input(base: 2, allowance: 10, credits: 10, budgets: [full]))
        #expect(outcome.reason == .budgetExceeded)
        #expect(outcome.fromAllowance == .zero)
        let roomy = Budget(scope: BudgetScope(kind: .agent, id: "a"), limit: Amount(units: 6), unit: .actions, period: .month, used: Amount(units: 4))
        #expect(try Pricing.price(input(base: 2, allowance: 10, credits: 10, budgets: [roomy])).reason == .approved)
    }

    @Test func aCreditBudgetCountsOnlyCredits() throws {
        let budget = Budget(scope: BudgetScope(kind: .user, id: "u"), limit: Amount(units: 1), unit: .credits, period: .lifetime, used: .zero)
        #expect(try Pricing.price(input(base: 5, allowance: 10, credits: 0, budgets: [budget])).reason == .approved)
        #expect(try Pricing.price(input(base: 2, allowance: 0, credits: 10, budgets: [budget])).reason == .budgetExceeded)
    }

    @Test func aSuspendedWorkspaceIsDenied() throws {
        #expect(try Pricing.price(input(allowance: 10, credits: 10, suspended: true)).reason == .workspaceSuspended)
    }

    @Test func aCostThatOverflowsIsAnError() {
        #expect(throws: PricingError.costOutOfRange) {
            try Pricing.price(PricingInput(baseCost: Amount.max, costMultiplier: Amount(units: 1000), allowanceLeft: .zero, overagePolicy: .credits, overageRate: .one, creditsAvailable: .zero, budgets: [], suspended: false))
        }
    }

    @Test func walletSpendsSoonestExpiringGrantsFirst() {
        let grants = [
            GrantBalance(id: "forever", remaining: Amount(units: 10), expiresAt: nil),
            GrantBalance(id: "late", remaining: Amount(units: 3), expiresAt: 200),
            GrantBalance(id: "soon", remaining: Amount(units: 2), expiresAt: 100),
        ]
        let takes = Wallet.allocate(Amount(units: 6), from: grants)
        #expect(takes.map(\.id) == ["soon", "late", "forever"])
        #expect(takes.map(\.amount) == [Amount(units: 2), Amount(units: 3), Amount(units: 1)])
    }

    @Test func unbalancedTransactionsCannotBeBuilt() {
        #expect(throws: LedgerTransaction.Invalid.unbalanced(.credits)) {
            try LedgerTransaction(kind: .debit, postings: [Posting(account: .wallet("w"), amount: Amount(units: -1)), Posting(account: .system(.revenue), amount: Amount(units: 2))])
        }
        #expect(throws: LedgerTransaction.Invalid.unbalanced(.actions)) {
            try LedgerTransaction(kind: .debit, postings: [Posting(account: .allowance("w"), amount: Amount(units: -1)), Posting(account: .system(.revenue), amount: Amount(units: 1))])
        }
    }
}

@Suite struct PeriodTests {
    static func at(_ text: String) -> Int64 { ISOTime.parse(text)! / 1000 }

    @Test(arguments: [
        ("2026-01-15", "2026-03-20T10:00:00Z", "2026-03-15", "2026-04-15"),
        ("2026-01-15", "2026-03-15T00:00:00Z", "2026-03-15", "2026-04-15"),
        ("2026-01-15", "2026-03-14T23:59:59Z", "2026-02-15", "2026-03-15"),
        ("2026-01-31", "2026-02-28T12:00:00Z", "2026-02-28", "2026-03-31"),
        ("2026-01-31", "2026-02-27T12:00:00Z", "2026-01-31", "2026-02-28"),
        ("2024-01-31", "2024-02-29T00:00:00Z", "2024-02-29", "2024-03-31"),
        ("2026-12-05", "2027-01-01T00:00:00Z", "2026-12-05", "2027-01-05"),
        ("2026-03-01", "2026-03-01T00:00:00Z", "2026-03-01", "2026-04-01"),
    ])
    func periodsFollowTheAnchorDayClampedToTheMonth(anchor: String, now: String, start: String, end: String) {
        let period = BillingPeriod.containing(Self.at(now), anchor: CivilDate(parsing: anchor)!)
        #expect(period.start == Self.at(start + "T00:00:00Z"))
        #expect(period.end == Self.at(end + "T00:00:00Z"))
    }

    @Test(arguments: ["2026-02-30", "2026-13-01", "26-01-01", "2026-1-01", "abcd-ef-gh", "1969-12-31"])
    func invalidDatesAreRefused(text: String) {
        #expect(CivilDate(parsing: text) == nil)
    }

    @Test func civilDatesRoundTripThroughUnixTime() {
        for days in stride(from: Int64(0), to: 40_000, by: 37) {
            let date = CivilDate(unixSeconds: days * 86_400 + 5)
            #expect(date.unixSeconds == days * 86_400)
        }
    }
}
