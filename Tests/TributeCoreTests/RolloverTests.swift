import Testing
import TributeCore

/// Allowance rollover's rules in the kernel (SPEC §3.9, docs/credits.md): what a close
/// carries, that it is spent first, capped under stacking with the oldest trimmed first,
/// lapsing on its own boundary, on February and day-31 anchors, once per period.
@Suite struct RolloverTests {
    static let half = Amount(micros: 500_000)

    static func plan(_ terms: RolloverTerms?, allowance: Int64 = 100) -> Plan {
        Plan(id: "r", name: "r", monthlyAllowance: Amount(units: allowance), overagePolicy: .block, overageRate: .zero, priceCents: 0, rollover: terms)
    }

    static func millis(_ year: Int, _ month: Int, _ day: Int) -> Int64 { CivilDate(year: year, month: month, day: day).unixSeconds * 1000 }

    /// A workspace created on `created` (its anchor), its first period issued.
    static func workspace(_ plan: Plan, created: CivilDate) -> WorkspaceState {
        var state = WorkspaceState(
            id: "w", name: "w", status: .active, anchorDate: created, period: BillingPeriod(start: 0, end: 0), periodUsed: .zero,
            nextExpiryAtMillis: nil, createdAtMillis: created.unixSeconds * 1000, plan: plan, wallet: .zero, allowance: .zero,
            lowBalanceThreshold: nil, decisionHead: DecisionRecord.genesisHash)
        _ = state.rollPeriod(nowMillis: created.unixSeconds * 1000, transactionId: "t")
        return state
    }

    /// Takes `actions` as a call does.
    static func use(_ state: inout WorkspaceState, _ actions: Int64) {
        state.takeAllowance(Amount(units: actions))
        state.periodUsed += Amount(units: actions)
    }

    /// The plan rule `ledger verify` checks.
    static func expectThePlanRule(_ state: WorkspaceState, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(AllowanceAudit.violation(workspaceId: state.id, allowanceMicros: state.allowance.micros, periodUsedMicros: state.periodUsed.micros,
                                         heldInPeriodMicros: 0, planAllowanceMicros: state.plan.monthlyAllowance.micros,
                                         rollover: state.rollover.encoded) == nil, sourceLocation: sourceLocation)
        #expect(state.allowance >= state.rollover.held, sourceLocation: sourceLocation)
    }

    @Test func aCloseCarriesItsShareOfWhatIsLeftAndTheCarryIsSpentFirst() throws {
        var state = Self.workspace(Self.plan(RolloverTerms(fraction: Self.half, maxCarry: Amount(units: 80), expiresAfterPeriods: 2)),
                                   created: CivilDate(year: 2027, month: 1, day: 1))
        #expect(state.rollover.isEmpty, "a new workspace carries nothing")
        Self.use(&state, 30)
        let rolled = state.rollPeriod(nowMillis: Self.millis(2027, 2, 1), transactionId: "close")
        let rolls = try #require(rolled)
        // 70 left: 35 carry, 35 lapse; 100 issued.
        #expect(rolls.count == 1)
        #expect(rolls.first?.postings.map(\.amount) == [Amount(units: -35), Amount(units: 35), Amount(units: -100), Amount(units: 100)])
        #expect(state.rollover.lots == [AllowanceCarry.Lot(expiresAt: CivilDate(year: 2027, month: 4, day: 1).unixSeconds, amount: Amount(units: 35))])
        #expect(state.allowance == Amount(units: 135) && state.rollover.carriedIn == Amount(units: 35))
        Self.expectThePlanRule(state)
        // The carry goes first.
        Self.use(&state, 40)
        #expect(state.rollover.held == .zero && state.allowance == Amount(units: 95))
        Self.expectThePlanRule(state)
        _ = state.rollPeriod(nowMillis: Self.millis(2027, 3, 1), transactionId: "close")
        #expect(state.rollover.held == Amount(units: 47), "floor(95 × 0.5)")
        #expect(state.rollPeriod(nowMillis: Self.millis(2027, 3, 1), transactionId: "again") == nil, "one close per period")
    }

    @Test func stackingNeverPassesTheCapAndALoweredCapTrimsTheOldestFirst() {
        let terms = RolloverTerms(fraction: Self.half, maxCarry: Amount(units: 60), expiresAfterPeriods: 3)
        var state = Self.workspace(Self.plan(terms), created: CivilDate(year: 2027, month: 1, day: 1))
        var held: [Int64] = []
        for month in 2...9 {
            _ = state.rollPeriod(nowMillis: Self.millis(2027, month, 1), transactionId: "close")
            held.append(state.rollover.held.micros / Amount.scale)
            Self.expectThePlanRule(state)
        }
        // 50, then the 10 left under the cap; the first carry lapses at its third boundary.
        #expect(held == [50, 60, 60, 60, 60, 60, 60, 60])
        let before = state.rollover.lots
        #expect(before.map(\.amount) == [Amount(units: 50), Amount(units: 10)])
        // A lower cap: at the next close the oldest carry is trimmed first.
        _ = try? state.changePlan(to: Self.plan(RolloverTerms(fraction: Self.half, maxCarry: Amount(units: 20), expiresAfterPeriods: 3)),
                                  nowMillis: Self.millis(2027, 9, 2), transactionId: "plan")
        Self.expectThePlanRule(state)
        _ = state.rollPeriod(nowMillis: Self.millis(2027, 10, 1), transactionId: "close")
        #expect(state.rollover.held == Amount(units: 20))
        Self.expectThePlanRule(state)
    }

    @Test func dayThirtyOneAnchorsFallOnTheLastOfFebruaryAndReturn() {
        let terms = RolloverTerms(fraction: Amount.one, maxCarry: Amount(units: 1_000), expiresAfterPeriods: 1)
        for (year, february) in [(2027, 28), (2028, 29)] {
            var state = Self.workspace(Self.plan(terms), created: CivilDate(year: year, month: 1, day: 31))
            let boundaries = [CivilDate(year: year, month: 2, day: february), CivilDate(year: year, month: 3, day: 31), CivilDate(year: year, month: 4, day: 30),
                              CivilDate(year: year, month: 5, day: 31)]
            for (index, boundary) in boundaries.enumerated() {
                #expect(state.period.end == boundary.unixSeconds)
                _ = state.rollPeriod(nowMillis: boundary.unixSeconds * 1000, transactionId: "close")
                #expect(state.period.start == boundary.unixSeconds)
                // One period's carry lapses at the next boundary, where the next one is made.
                if index + 1 < boundaries.count {
                    #expect(state.rollover.lots == [AllowanceCarry.Lot(expiresAt: boundaries[index + 1].unixSeconds, amount: Amount(units: 100))])
                }
                Self.expectThePlanRule(state)
            }
        }
    }

    @Test func idlePeriodsCloseOneByOneAsTheSweeperWouldHaveClosedThem() {
        let terms = RolloverTerms(fraction: Self.half, maxCarry: Amount(units: 120), expiresAfterPeriods: 2)
        var late = Self.workspace(Self.plan(terms), created: CivilDate(year: 2027, month: 1, day: 15))
        var swept = late
        Self.use(&late, 10)
        Self.use(&swept, 10)
        let rolls = late.rollPeriod(nowMillis: Self.millis(2027, 4, 20), transactionId: "late")
        #expect(rolls?.count == 3)
        for month in 2...4 { _ = swept.rollPeriod(nowMillis: Self.millis(2027, month, 15), transactionId: "swept") }
        #expect(late == swept)
        Self.expectThePlanRule(late)
    }

    @Test func withoutTermsOrCarriesTheClosesBetweenAreOne() {
        var state = Self.workspace(Self.plan(nil), created: CivilDate(year: 2027, month: 1, day: 1))
        let rolls = state.rollPeriod(nowMillis: Self.millis(2030, 1, 1), transactionId: "t")
        #expect(rolls?.count == 1 && state.rollover.isEmpty && state.allowance == Amount(units: 100))
    }

    @Test func aPlanChangeKeepsTheCarryAndGivesTheFreshAllowanceTheNewPlansRule() throws {
        let terms = RolloverTerms(fraction: Self.half, maxCarry: Amount(units: 80), expiresAfterPeriods: 2)
        var state = Self.workspace(Self.plan(terms), created: CivilDate(year: 2027, month: 1, day: 1))
        Self.use(&state, 30)
        _ = state.rollPeriod(nowMillis: Self.millis(2027, 2, 1), transactionId: "close")
        // 20 of the 35 carried, none fresh.
        Self.use(&state, 20)
        _ = try state.changePlan(to: Self.plan(terms, allowance: 50), nowMillis: Self.millis(2027, 2, 2), transactionId: "plan")
        #expect(state.rollover.held == Amount(units: 15) && state.allowance == Amount(units: 65))
        Self.expectThePlanRule(state)
        // 50 fresh used, then a downgrade to 20: no fresh left, the carry stays.
        Self.use(&state, 65)
        _ = try state.changePlan(to: Self.plan(terms, allowance: 20), nowMillis: Self.millis(2027, 2, 3), transactionId: "plan")
        #expect(state.allowance == .zero)
        Self.expectThePlanRule(state)
    }

    @Test func theCarryIsWholeActionsRoundedDown() {
        #expect(Amount(micros: 999_999).wholeUnits(times: Amount.one) == .zero)
        #expect(Amount(micros: 99_999_999).wholeUnits(times: Self.half) == Amount(units: 49))
        #expect(Amount.max.wholeUnits(times: Amount.one) == Amount.max)
        #expect(Amount(units: -1).wholeUnits(times: Self.half) == nil)
        let terms = RolloverTerms(fraction: Self.half, maxCarry: Amount(units: 10), expiresAfterPeriods: 1)
        #expect(terms.carry(unused: Amount(units: 100), held: Amount(units: 4)) == Amount(units: 6))
        #expect(terms.carry(unused: Amount(units: 100), held: Amount(units: 40)) == .zero, "never negative above the cap")
    }

    @Test func storedFormsRoundTripAndForeignTextIsRefused() {
        let carry = AllowanceCarry(carriedIn: Amount(units: 7), lots: [AllowanceCarry.Lot(expiresAt: 20, amount: Amount(units: 2)), AllowanceCarry.Lot(expiresAt: 10, amount: Amount(units: 5))])
        #expect(carry.encoded.flatMap(AllowanceCarry.init(decoding:)) == carry)
        #expect(carry.lots.map(\.expiresAt) == [10, 20])
        #expect(AllowanceCarry().encoded == nil)
        for bad in ["", "x", "-1", "1;2", "1;2:0", "1;2:-3", "1;a:3", "1;2:3:4", "\(Int64.max)"] { #expect(AllowanceCarry(decoding: bad) == nil, "\(bad)") }
        let terms = RolloverTerms(fraction: Self.half, maxCarry: Amount(units: 3), expiresAfterPeriods: 4)
        #expect(RolloverTerms(decoding: terms.encoded) == terms)
        for bad in ["", "1:2", "1000001:1:1", "1:1:0", "1:1:121", "1:-1:1", "a:b:c"] { #expect(RolloverTerms(decoding: bad) == nil, "\(bad)") }
    }

    /// Rollover taken and given back within the period (a released hold) is spendable again,
    /// but carries only as what it was: releasing a hold every period does not stack carries.
    @Test func rolloverGivenBackDoesNotCarryTwice() {
        let terms = RolloverTerms(fraction: Amount.one, maxCarry: Amount(units: 1_000), expiresAfterPeriods: 1)
        var state = Self.workspace(Self.plan(terms), created: CivilDate(year: 2027, month: 1, day: 1))
        var held: [Amount] = []
        for month in 2...6 {
            _ = state.rollPeriod(nowMillis: Self.millis(2027, month, 1), transactionId: "close")
            // A hold of everything, released in the period.
            let all = state.allowance
            state.takeAllowance(all)
            state.periodUsed += all
            let back = state.allowanceReturnable(all, uncounting: all)
            state.allowance += back
            state.periodUsed = max(.zero, state.periodUsed - all)
            #expect(back == all)
            Self.expectThePlanRule(state)
            held.append(state.rollover.held)
        }
        _ = state.rollPeriod(nowMillis: Self.millis(2027, 7, 1), transactionId: "close")
        #expect(state.rollover.held == Amount(units: 100), "one period's unused fresh allowance, not \(held)")
    }

    /// A plan change that leaves less room than the rollover held trims it: the plan rule holds.
    @Test func aPlanChangeTrimsTheRolloverTheNewPlanHasNoRoomFor() throws {
        var state = Self.workspace(Self.plan(RolloverTerms(fraction: Self.half, maxCarry: Amount(units: 80), expiresAfterPeriods: 2)),
                                   created: CivilDate(year: 2027, month: 1, day: 1))
        // The period used its 100 fresh actions; a hold of the period before then carried 50.
        state.allowance = Amount(units: 50)
        state.periodUsed = Amount(units: 100)
        state.rollover = AllowanceCarry(carriedIn: Amount(units: 50), lots: [AllowanceCarry.Lot(expiresAt: Self.millis(2027, 3, 1) / 1000, amount: Amount(units: 50))])
        Self.expectThePlanRule(state)
        _ = try state.changePlan(to: Self.plan(nil, allowance: 0), nowMillis: Self.millis(2027, 1, 20), transactionId: "plan")
        #expect(state.allowance == .zero && state.rollover.held == .zero)
        Self.expectThePlanRule(state)
    }
}
