import Testing
import TributeCore
import TributeStore
import TributeTestSupport

/// Holds obey the plan (docs/holds.md, "Periods" and "Suspension"), on every backend: held
/// allowance belongs to its period and no extend carries it further, a give-back never
/// passes what the current plan grants, and a suspended workspace's holds are committed
/// or released but not extended.
@Suite struct HoldPeriodConformanceTests {
    static let everyone = HoldConformanceTests.everyone

    /// A free-plan workspace (1,000 actions a month, `block`) with the clock `secondsBeforeEnd`
    /// before its period ends.
    static func freeWorkspaceNearPeriodEnd(_ store: any TributeStore, _ clock: ManualClock, secondsBeforeEnd: Int64) async throws -> BillingPeriod {
        let view = try await store.makeWorkspace("w", plan: "free")
        clock.set(millis: (view.period.end - secondsBeforeEnd) * 1000)
        return view.period
    }

    @Test(arguments: Backend.allCases)
    func anExtendNeverCarriesHeldAllowancePastItsPeriodEndPlusADay(backend: Backend) async throws {
        let (store, clock) = try await backend.makeStore()
        let period = try await Self.freeWorkspaceNearPeriodEnd(store, clock, secondsBeforeEnd: 120)
        // The whole month's allowance held two minutes before the period ends.
        guard let holdId = try await HoldConformanceTests.hold(store, multiplier: Amount(units: 1_000), ttlSeconds: 300).holdId else {
            Issue.record("no hold"); return
        }
        clock.advance(seconds: 180)
        let deadlineMillis = (period.end + HoldRecord.maxTTLSeconds) * 1000
        // A day from now is past the period's end plus a day: refused, nothing moves.
        await #expect { _ = try await store.extendHold(id: holdId, ttlSeconds: 86_400, canAccess: Self.everyone) } throws: {
            ($0 as? TributeError)?.code == "extends_past_period"
        }
        #expect(try await store.hold(id: holdId, canAccess: Self.everyone).expiresAtMillis == (period.end + 180) * 1000)
        // Up to the deadline is allowed.
        let extended = try await store.extendHold(id: holdId, ttlSeconds: (deadlineMillis - clock.nowMillis()) / 1000, canAccess: Self.everyone)
        #expect(extended.expiresAtMillis == deadlineMillis)
        // The new period's allowance is whole; the held allowance is the old period's.
        let fresh = try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM", costMultiplier: Amount(units: 1_000)), idempotency: nil)
        #expect(fresh.approved)
        // Past the deadline the hold has expired: the carried allowance cannot be committed.
        clock.set(millis: deadlineMillis)
        await #expect { _ = try await HoldConformanceTests.commit(store, holdId, nil) } throws: { ($0 as? TributeError)?.code == "hold_expired" }
        await #expect { _ = try await store.extendHold(id: holdId, ttlSeconds: 60, canAccess: Self.everyone) } throws: {
            ($0 as? TributeError)?.code == "hold_expired"
        }
        // A second month: the carry does not grow.
        let denied = try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM"), idempotency: nil)
        #expect(!denied.approved && field(denied.body, "reason")?.stringValue == "PLAN_LIMIT_REACHED")
        _ = try await store.expectLedgerHolds()
    }

    @Test(arguments: Backend.allCases)
    func aHoldOfCreditsAloneExtendsAcrossPeriods(backend: Backend) async throws {
        let (store, clock) = try await backend.makeStore()
        let view = try await store.makeWorkspace("w", credits: Amount(units: 10))
        clock.set(millis: (view.period.end - 60) * 1000)
        guard let holdId = try await HoldConformanceTests.hold(store, multiplier: Amount(units: 5), ttlSeconds: 86_400).holdId else { Issue.record("no hold"); return }
        for _ in 0..<3 {
            clock.advance(seconds: 80_000)
            _ = try await store.extendHold(id: holdId, ttlSeconds: 86_400, canAccess: Self.everyone)
        }
        let committed = try await HoldConformanceTests.commit(store, holdId, nil)
        #expect(committed.approved && amountField(committed.body, "debitAmount") == Amount(micros: 500_000))
        _ = try await store.expectLedgerHolds()
    }

    @Test(arguments: Backend.allCases)
    func aSuspendedWorkspacesHoldsAreCommittedOrReleasedButNotExtended(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        try await store.makeWorkspace("w", credits: Amount(units: 10))
        guard let first = try await HoldConformanceTests.hold(store, multiplier: Amount(units: 10)).holdId,
              let second = try await HoldConformanceTests.hold(store, multiplier: Amount(units: 10)).holdId else { Issue.record("no hold"); return }
        _ = try await store.updateWorkspace(id: "w", patch: WorkspacePatch(planId: nil, status: .suspended, name: nil))
        await #expect { _ = try await store.extendHold(id: first, ttlSeconds: 600, canAccess: Self.everyone) } throws: {
            ($0 as? TributeError)?.code == "workspace_suspended"
        }
        // Work already done is charged.
        let committed = try await HoldConformanceTests.commit(store, first, .actions(Amount(units: 4)))
        #expect(committed.approved && amountField(committed.body, "debitAmount") == Amount(micros: 400_000))
        let released = try await store.releaseHold(id: second, canAccess: Self.everyone, idempotency: nil)
        #expect(field(released.body, "status")?.stringValue == "released")
        // New work is not.
        let (denied, deniedId) = try await HoldConformanceTests.hold(store, multiplier: .one)
        #expect(!denied.approved && deniedId == nil && field(denied.body, "reason")?.stringValue == "WORKSPACE_SUSPENDED")
        #expect(try await store.workspace(id: "w").remainingBalance == Amount(micros: 9_600_000))
        _ = try await store.expectLedgerHolds()
    }

    enum GiveBack: String, CaseIterable, Sendable { case release, expiry, finalCommit }

    @Test(arguments: Backend.allCases, GiveBack.allCases)
    func heldAllowanceComesBackOnlyAsFarAsTheCurrentPlanGrants(backend: Backend, giveBack: GiveBack) async throws {
        let (store, clock) = try await backend.makeStore()
        try await store.makeWorkspace("w", plan: "pro")
        _ = try await store.setActionCost(actionType: "FREE_LOOKUP", baseCost: .zero)
        // 40,000 of Pro's 50,000 actions held, then the workspace moves to the free plan.
        guard let holdId = try await HoldConformanceTests.hold(store, multiplier: Amount(units: 40_000), ttlSeconds: 600).holdId else {
            Issue.record("no hold"); return
        }
        _ = try await store.updateWorkspace(id: "w", patch: WorkspacePatch(planId: "free", status: nil, name: nil))
        #expect(try await store.workspace(id: "w").remainingAllowance == .zero)
        let committedActions: Int64
        switch giveBack {
        case .release:
            _ = try await store.releaseHold(id: holdId, canAccess: Self.everyone, idempotency: nil)
            committedActions = 0
        case .expiry:
            clock.advance(seconds: 601)
            _ = try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "FREE_LOOKUP"), idempotency: nil)
            committedActions = 0
        case .finalCommit:
            _ = try await HoldConformanceTests.commit(store, holdId, .actions(Amount(units: 10)))
            committedActions = 10
        }
        // The free plan grants 1,000 a month, less what the period really used.
        let view = try await store.workspace(id: "w")
        #expect(view.remainingAllowance == Amount(units: 1_000 - committedActions) && view.heldAllowance == .zero)
        let tooMuch = try await store.authorize(
            AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM", costMultiplier: Amount(units: 1_001 - committedActions)), idempotency: nil)
        #expect(!tooMuch.approved && field(tooMuch.body, "reason")?.stringValue == "PLAN_LIMIT_REACHED")
        _ = try await store.expectLedgerHolds()
    }

    @Test(arguments: Backend.allCases)
    func aPrepaidWorkspaceGetsNoAllowanceBackFromAHoldMadeOnAnotherPlan(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        try await store.makeWorkspace("w", plan: "pro", credits: Amount(units: 10))
        guard let holdId = try await HoldConformanceTests.hold(store, multiplier: Amount(units: 300)).holdId else { Issue.record("no hold"); return }
        _ = try await store.updateWorkspace(id: "w", patch: WorkspacePatch(planId: "prepaid", status: nil, name: nil))
        _ = try await store.releaseHold(id: holdId, canAccess: Self.everyone, idempotency: nil)
        let view = try await store.workspace(id: "w")
        #expect(view.remainingAllowance == .zero && view.remainingBalance == Amount(units: 10))
        _ = try await store.expectLedgerHolds()
    }
}
