import Testing
import TributeCore
import TributeStore
import TributeTestSupport

/// SPEC §3.1 on every backend, rule by rule: a hold is priced like a debit and held, a
/// commit charges the actual cost, a release or the clock gives the rest back, and every
/// step is a balanced transaction and a decision in the chain.
@Suite struct HoldConformanceTests {
    static let everyone: @Sendable (String) -> Bool = { _ in true }

    /// Holds `multiplier` × SIMPLE_LLM (1 action, 0.1 credit on the prepaid plan).
    static func hold(
        _ store: any TributeStore, _ workspaceId: String = "w", actionType: String = "SIMPLE_LLM", multiplier: Amount, ttlSeconds: Int64 = 300,
        userId: String? = nil, claim: IdempotencyClaim? = nil
    ) async throws -> (outcome: AuthorizeOutcome, holdId: String?) {
        let request = HoldRequest(AuthorizeRequest(workspaceId: workspaceId, actionType: actionType, userId: userId, costMultiplier: multiplier), ttlSeconds: ttlSeconds)
        let outcome = try await store.hold(request, idempotency: claim)
        return (outcome, field(outcome.body, "holdId")?.stringValue)
    }

    static func commit(_ store: any TributeStore, _ holdId: String, _ actual: HoldActual?, final: Bool = true, claim: IdempotencyClaim? = nil) async throws -> AuthorizeOutcome {
        try await store.commitHold(HoldCommit(holdId: holdId, actual: actual, final: final), canAccess: everyone, idempotency: claim)
    }

    @Test(arguments: Backend.allCases)
    func aHoldIsPricedLikeADebitAndUnavailableToOtherCalls(backend: Backend) async throws {
        let (store, clock) = try await backend.makeStore()
        try await store.makeWorkspace("w", credits: Amount(units: 10))
        let (outcome, holdId) = try await Self.hold(store, multiplier: Amount(units: 10))
        #expect(outcome.approved)
        #expect(amountField(outcome.body, "actionsCharged") == Amount(units: 10))
        #expect(amountField(outcome.body, "debitAmount") == Amount(units: 1))
        #expect(amountField(outcome.body, "remainingBalance") == Amount(units: 9))
        #expect(field(outcome.body, "expiresAt")?.stringValue == ISOTime.format(millis: clock.nowMillis() + 300_000))
        guard let holdId else { Issue.record("no hold id in \(outcome.body)"); return }
        let view = try await store.workspace(id: "w")
        #expect(view.remainingBalance == Amount(units: 9))
        #expect(view.heldAmount == Amount(units: 1))
        let hold = try await store.hold(id: holdId, canAccess: Self.everyone)
        #expect(hold.status == .open && hold.heldActions == Amount(units: 10) && hold.heldCredits == Amount(units: 1) && hold.workspaceId == "w")
        // The held credit is not there for a debit.
        let tooMuch = try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM", costMultiplier: Amount(units: 95)), idempotency: nil)
        #expect(!tooMuch.approved && field(tooMuch.body, "reason")?.stringValue == "INSUFFICIENT_BALANCE")
        let fits = try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM", costMultiplier: Amount(units: 90)), idempotency: nil)
        #expect(fits.approved && amountField(fits.body, "remainingBalance") == .zero)
        // A denied hold holds nothing.
        let (denied, deniedId) = try await Self.hold(store, multiplier: Amount(units: 1))
        #expect(!denied.approved && deniedId == nil)
        #expect(try await store.workspace(id: "w").heldAmount == Amount(units: 1))
        let decisions = try await store.decisions(workspaceId: "w", limit: 10, cursor: nil, approved: nil).items
        #expect(decisions.map(\.kind) == [.hold, .call, .call, .hold])
        _ = try await store.expectLedgerHolds()
    }

    @Test(arguments: Backend.allCases)
    func aCommitChargesTheActualCostAndReleasesTheRest(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        try await store.makeWorkspace("w", credits: Amount(units: 10))
        guard let holdId = try await Self.hold(store, multiplier: Amount(units: 10)).holdId else { Issue.record("no hold"); return }
        let committed = try await Self.commit(store, holdId, .actions(Amount(units: 4)))
        #expect(amountField(committed.body, "actionsCharged") == Amount(units: 4))
        #expect(amountField(committed.body, "debitAmount") == Amount(micros: 400_000))
        #expect(amountField(committed.body, "remainingHeld") == .zero)
        #expect(amountField(committed.body, "remainingBalance") == Amount(micros: 9_600_000))
        #expect(field(committed.body, "status")?.stringValue == "committed")
        let view = try await store.workspace(id: "w")
        #expect(view.remainingBalance == Amount(micros: 9_600_000) && view.heldAmount == .zero)
        let hold = try await store.hold(id: holdId, canAccess: Self.everyone)
        #expect(hold.status == .committed && hold.committedActions == Amount(units: 4) && hold.committedCredits == Amount(micros: 400_000))
        // Anything on a committed hold is refused, and changes nothing.
        await #expect(throws: TributeError.holdClosed(holdId)) { try await Self.commit(store, holdId, nil) }
        await #expect(throws: TributeError.holdClosed(holdId)) { try await store.releaseHold(id: holdId, canAccess: Self.everyone, idempotency: nil) }
        await #expect(throws: TributeError.holdClosed(holdId)) { try await store.extendHold(id: holdId, ttlSeconds: 60, canAccess: Self.everyone) }
        #expect(try await store.workspace(id: "w").remainingBalance == Amount(micros: 9_600_000))
        // The commit is the usage; the hold itself is not.
        let decisions = try await store.decisions(workspaceId: "w", limit: 10, cursor: nil, approved: nil).items
        #expect(decisions.map(\.kind) == [.commit, .hold])
        _ = try await store.expectLedgerHolds()
    }

    @Test(arguments: Backend.allCases)
    func aCommitByMultiplierIsPricedAtTheHoldsCost(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        try await store.makeWorkspace("w", credits: Amount(units: 10))
        guard let holdId = try await Self.hold(store, actionType: "COMPLEX_LLM", multiplier: Amount(units: 2)).holdId else { Issue.record("no hold"); return }
        // A new price after the hold does not change what it was held at.
        _ = try await store.setActionCost(actionType: "COMPLEX_LLM", baseCost: Amount(units: 50))
        let committed = try await Self.commit(store, holdId, .costMultiplier(Amount(micros: 1_500_000)))
        #expect(amountField(committed.body, "actionsCharged") == Amount(micros: 7_500_000))
        #expect(amountField(committed.body, "debitAmount") == Amount(micros: 750_000))
        #expect(try await store.workspace(id: "w").remainingBalance == Amount(micros: 9_250_000))
        _ = try await store.expectLedgerHolds()
    }

    /// SPEC §3.1's monitor: held for 24 hours up front, committed hour by hour.
    @Test(arguments: Backend.allCases)
    func partialCommitsKeepTheRestHeld(backend: Backend) async throws {
        let (store, clock) = try await backend.makeStore()
        try await store.makeWorkspace("w", credits: Amount(units: 10))
        // 24 hours at 2 actions an hour: 48 actions, 4.8 credits.
        guard let holdId = try await Self.hold(store, actionType: "SENTINEL_MONITORING_HOUR", multiplier: Amount(units: 24), ttlSeconds: 86_400).holdId else {
            Issue.record("no hold"); return
        }
        for hour in 1...3 {
            clock.advance(seconds: 3_600)
            let step = try await Self.commit(store, holdId, .costMultiplier(.one), final: false)
            #expect(amountField(step.body, "remainingHeld") == Amount(units: 48 - 2 * Int64(hour)))
            #expect(field(step.body, "status")?.stringValue == "open")
        }
        #expect(try await store.workspace(id: "w").heldAmount == Amount(micros: 4_200_000))
        await #expect { try await Self.commit(store, holdId, .actions(Amount(units: 43)), final: false) } throws: { ($0 as? TributeError)?.code == "exceeds_hold" }
        let extended = try await store.extendHold(id: holdId, ttlSeconds: 86_400, canAccess: Self.everyone)
        #expect(extended.expiresAtMillis == clock.nowMillis() + 86_400_000)
        let released = try await store.releaseHold(id: holdId, canAccess: Self.everyone, idempotency: nil)
        #expect(field(released.body, "status")?.stringValue == "released")
        let view = try await store.workspace(id: "w")
        #expect(view.remainingBalance == Amount(micros: 9_400_000) && view.heldAmount == .zero)
        _ = try await store.expectLedgerHolds()
    }

    @Test(arguments: Backend.allCases)
    func allowanceIsHeldBeforeCreditsAndComesBack(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        try await store.makeWorkspace("w", plan: "free")
        guard let holdId = try await Self.hold(store, multiplier: Amount(units: 600)).holdId else { Issue.record("no hold"); return }
        #expect(try await store.workspace(id: "w").remainingAllowance == Amount(units: 400))
        let (second, _) = try await Self.hold(store, multiplier: Amount(units: 600))
        #expect(!second.approved && field(second.body, "reason")?.stringValue == "PLAN_LIMIT_REACHED")
        let committed = try await Self.commit(store, holdId, .actions(Amount(units: 100)))
        #expect(amountField(committed.body, "fromAllowance") == Amount(units: 100))
        #expect(amountField(committed.body, "remainingAllowance") == Amount(units: 900))
        #expect(try await store.workspace(id: "w").remainingAllowance == Amount(units: 900))
        let usage = try await store.usage(workspaceId: "w", fromMillis: 0, toMillis: .max)
        #expect(usage.totalActions == Amount(units: 100))
        _ = try await store.expectLedgerHolds()
    }

    @Test(arguments: Backend.allCases)
    func budgetsCountWhatIsHeldAndGetBackWhatIsNotCharged(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        try await store.makeWorkspace("w", credits: Amount(units: 10))
        _ = try await store.putBudget(workspaceId: "w", scope: BudgetScope(kind: .user, id: "u"), limit: Amount(units: 2), unit: .credits, period: .lifetime)
        guard let holdId = try await Self.hold(store, multiplier: Amount(units: 15), userId: "u").holdId else { Issue.record("no hold"); return }
        let (over, _) = try await Self.hold(store, multiplier: Amount(units: 10), userId: "u")
        #expect(!over.approved && field(over.body, "reason")?.stringValue == "BUDGET_EXCEEDED")
        _ = try await Self.commit(store, holdId, .actions(Amount(units: 5)))
        #expect(try await store.budgets(workspaceId: "w").first?.budget.used == Amount(micros: 500_000))
        #expect(try await Self.hold(store, multiplier: Amount(units: 10), userId: "u").outcome.approved)
        _ = try await store.expectLedgerHolds()
    }

    @Test(arguments: Backend.allCases)
    func anExpiredHoldIsFreeForTheNextCallAndTheSweeperRecordsIt(backend: Backend) async throws {
        let (store, clock) = try await backend.makeStore()
        try await store.makeWorkspace("w", credits: Amount(units: 2))
        guard let first = try await Self.hold(store, multiplier: Amount(units: 10), ttlSeconds: 60).holdId,
              let second = try await Self.hold(store, multiplier: Amount(units: 10), ttlSeconds: 120).holdId else { Issue.record("no holds"); return }
        #expect(try await store.workspace(id: "w").remainingBalance == .zero)
        clock.advance(seconds: 61)
        // No sweeper has run: the call itself releases the expired hold first.
        let debit = try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM", costMultiplier: Amount(units: 10)), idempotency: nil)
        #expect(debit.approved)
        #expect(try await store.hold(id: first, canAccess: Self.everyone).status == .expired)
        await #expect(throws: TributeError.holdExpired(first)) { try await Self.commit(store, first, nil) }
        await #expect(throws: TributeError.holdExpired(first)) { try await store.releaseHold(id: first, canAccess: Self.everyone, idempotency: nil) }
        clock.advance(seconds: 60)
        await #expect(throws: TributeError.holdExpired(second)) { try await Self.commit(store, second, nil) }
        await #expect(throws: TributeError.holdExpired(second)) { try await store.extendHold(id: second, ttlSeconds: 60, canAccess: Self.everyone) }
        #expect(try await store.expireHolds(limit: 100) == 1)
        #expect(try await store.expireHolds(limit: 100) == 0)
        #expect(try await store.hold(id: second, canAccess: Self.everyone).status == .expired)
        let view = try await store.workspace(id: "w")
        #expect(view.remainingBalance == Amount(units: 1) && view.heldAmount == .zero)
        let events = try await store.events(workspaceId: "w", afterSeq: 0, limit: 100).filter { $0.type == .holdExpired }
        #expect(events.compactMap { $0.data["holdId"]?.stringValue }.sorted() == [first, second].sorted())
        let kinds = try await store.decisions(workspaceId: "w", limit: 10, cursor: nil, approved: nil).items.map(\.kind)
        #expect(kinds == [.expiry, .call, .expiry, .hold, .hold])
        _ = try await store.expectLedgerHolds()
    }

    /// An open hold's allowance stays taken from the period it was held in; the next period
    /// starts whole, and what the hold does not charge lapses with its period.
    @Test(arguments: Backend.allCases)
    func aPeriodRolloverDoesNotTouchWhatAnOpenHoldTook(backend: Backend) async throws {
        let (store, clock) = try await backend.makeStore()
        let view = try await store.makeWorkspace("w", plan: "free")
        clock.set(millis: view.period.end * 1000 - 3_600_000)
        guard let holdId = try await Self.hold(store, multiplier: Amount(units: 600), ttlSeconds: 86_400).holdId else { Issue.record("no hold"); return }
        clock.advance(seconds: 7_200)
        let fresh = try await store.workspace(id: "w")
        #expect(fresh.period.start == view.period.end && fresh.remainingAllowance == Amount(units: 1_000))
        let committed = try await Self.commit(store, holdId, .actions(Amount(units: 100)))
        #expect(amountField(committed.body, "fromAllowance") == Amount(units: 100))
        #expect(try await store.workspace(id: "w").remainingAllowance == Amount(units: 1_000))
        // The commit's allowance belongs to the period it was held in, which has ended: a
        // reversal has nothing to give back to the new one.
        guard let transactionId = field(committed.body, "transactionId")?.stringValue else { Issue.record("no transaction"); return }
        await #expect { try await store.reverseTransaction(id: transactionId, reason: "test") } throws: { ($0 as? TributeError)?.code == "not_reversible" }
        #expect(try await store.workspace(id: "w").remainingAllowance == Amount(units: 1_000))
        #expect(try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM", costMultiplier: Amount(units: 1_000)), idempotency: nil).approved)
        _ = try await store.expectLedgerHolds()
    }

    @Test(arguments: Backend.allCases)
    func createCommitAndReleaseReplayTheirFirstAnswer(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        try await store.makeWorkspace("w", credits: Amount(units: 10))
        let claim = IdempotencyClaim(key: "k1", requestHash: "hold-a")
        let (first, holdId) = try await Self.hold(store, multiplier: Amount(units: 10), claim: claim)
        let (again, _) = try await Self.hold(store, multiplier: Amount(units: 10), claim: claim)
        #expect(again.replayed && again.body == first.body)
        await #expect(throws: TributeError.idempotencyKeyReused) { try await Self.hold(store, multiplier: Amount(units: 20), claim: IdempotencyClaim(key: "k1", requestHash: "hold-b")) }
        guard let holdId else { Issue.record("no hold"); return }
        let commitClaim = IdempotencyClaim(key: "k2", requestHash: "commit-a")
        let committed = try await Self.commit(store, holdId, .actions(Amount(units: 3)), final: false, claim: commitClaim)
        let replayed = try await Self.commit(store, holdId, .actions(Amount(units: 3)), final: false, claim: commitClaim)
        #expect(replayed.replayed && replayed.body == committed.body)
        let releaseClaim = IdempotencyClaim(key: "k3", requestHash: "release")
        let released = try await store.releaseHold(id: holdId, canAccess: Self.everyone, idempotency: releaseClaim)
        let releasedAgain = try await store.releaseHold(id: holdId, canAccess: Self.everyone, idempotency: releaseClaim)
        #expect(releasedAgain.replayed && releasedAgain.body == released.body)
        // Charged once: 0.3 of the 10 credits.
        #expect(try await store.workspace(id: "w").remainingBalance == Amount(micros: 9_700_000))
        _ = try await store.expectLedgerHolds()
    }

    @Test(arguments: Backend.allCases)
    func holdsOfOtherWorkspacesAndUnknownHoldsAreNotFound(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        try await store.makeWorkspace("w", credits: Amount(units: 10))
        guard let holdId = try await Self.hold(store, multiplier: Amount(units: 10)).holdId else { Issue.record("no hold"); return }
        let onlyV: @Sendable (String) -> Bool = { $0 == "v" }
        await #expect(throws: TributeError.holdNotFound(holdId)) { try await store.hold(id: holdId, canAccess: onlyV) }
        await #expect(throws: TributeError.holdNotFound(holdId)) { try await store.commitHold(HoldCommit(holdId: holdId, actual: nil), canAccess: onlyV, idempotency: nil) }
        await #expect(throws: TributeError.holdNotFound(holdId)) { try await store.releaseHold(id: holdId, canAccess: onlyV, idempotency: nil) }
        await #expect(throws: TributeError.holdNotFound(holdId)) { try await store.extendHold(id: holdId, ttlSeconds: 10, canAccess: onlyV) }
        await #expect(throws: TributeError.holdNotFound("hold_nope")) { try await store.hold(id: "hold_nope", canAccess: Self.everyone) }
        await #expect(throws: TributeError.holdNotFound("hold_nope")) { try await Self.commit(store, "hold_nope", nil) }
        await #expect(throws: TributeError.workspaceNotFound("x")) { try await store.holds(workspaceId: "x", status: nil, limit: 10, cursor: nil) }
        #expect(try await store.hold(id: holdId, canAccess: Self.everyone).status == .open)
        _ = try await store.expectLedgerHolds()
    }

    @Test(arguments: Backend.allCases)
    func theOpenHoldsListPagesNewestFirst(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        try await store.makeWorkspace("w", credits: Amount(units: 10))
        var ids: [String] = []
        for _ in 0..<5 { if let id = try await Self.hold(store, multiplier: Amount(units: 1)).holdId { ids.append(id) } }
        _ = try await store.releaseHold(id: ids[2], canAccess: Self.everyone, idempotency: nil)
        let first = try await store.holds(workspaceId: "w", status: .open, limit: 2, cursor: nil)
        #expect(first.items.map(\.id) == [ids[4], ids[3]])
        let second = try await store.holds(workspaceId: "w", status: .open, limit: 2, cursor: first.nextCursor)
        #expect(second.items.map(\.id) == [ids[1], ids[0]] && second.nextCursor == nil)
        #expect(try await store.holds(workspaceId: "w", status: .released, limit: 10, cursor: nil).items.map(\.id) == [ids[2]])
        #expect(try await store.holds(workspaceId: "w", status: nil, limit: 10, cursor: nil).items.count == 5)
    }

    @Test(arguments: Backend.allCases)
    func aCommitIsReversedLikeACharge(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        try await store.makeWorkspace("w", credits: Amount(units: 10))
        _ = try await store.putBudget(workspaceId: "w", scope: BudgetScope(kind: .user, id: "u"), limit: Amount(units: 5), unit: .credits, period: .lifetime)
        guard let holdId = try await Self.hold(store, multiplier: Amount(units: 10), userId: "u").holdId else { Issue.record("no hold"); return }
        let committed = try await Self.commit(store, holdId, .actions(Amount(units: 4)))
        #expect(try await store.budgets(workspaceId: "w").first?.budget.used == Amount(micros: 400_000))
        guard let transactionId = field(committed.body, "transactionId")?.stringValue else { Issue.record("no transaction"); return }
        let reversal = try await store.reverseTransaction(id: transactionId, reason: "model failed")
        #expect(reversal.decision.creditsDebited == Amount(micros: -400_000))
        #expect(try await store.workspace(id: "w").remainingBalance == Amount(units: 10))
        #expect(try await store.budgets(workspaceId: "w").first?.budget.used == .zero)
        _ = try await store.expectLedgerHolds()
    }

    /// SPEC §3.1's concurrency rule: 500 concurrent holds of 1 credit on 100 hold exactly
    /// 100; half of those committed at 0.5 and the rest released leave exactly 75.
    @Test(arguments: Backend.allCases)
    func concurrentHoldsNeverHoldMoreThanThereIs(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        try await store.makeWorkspace("w", credits: Amount(units: 100))
        let held = try await withThrowingTaskGroup(of: String?.self) { group in
            for _ in 0..<500 { group.addTask { try await Self.hold(store, multiplier: Amount(units: 10)).holdId } }
            var ids: [String] = []
            for try await id in group { if let id { ids.append(id) } }
            return ids
        }
        #expect(held.count == 100)
        var view = try await store.workspace(id: "w")
        #expect(view.remainingBalance == .zero && view.heldAmount == Amount(units: 100))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, holdId) in held.enumerated() {
                group.addTask {
                    if index % 2 == 0 {
                        _ = try await Self.commit(store, holdId, .costMultiplier(Amount(units: 5)))
                    } else {
                        _ = try await store.releaseHold(id: holdId, canAccess: Self.everyone, idempotency: nil)
                    }
                }
            }
            try await group.waitForAll()
        }
        view = try await store.workspace(id: "w")
        #expect(view.remainingBalance == Amount(units: 75) && view.heldAmount == .zero)
        _ = try await store.expectLedgerHolds()
    }

    @Test(arguments: Backend.allCases)
    func holdsRacingDebitsNeverOverdraw(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        try await store.makeWorkspace("w", credits: Amount(units: 100))
        let results = try await withThrowingTaskGroup(of: (isHold: Bool, approved: Bool).self) { group in
            for index in 0..<300 {
                group.addTask {
                    if index % 2 == 0 { return (true, try await Self.hold(store, multiplier: Amount(units: 10)).outcome.approved) }
                    let outcome = try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM", costMultiplier: Amount(units: 10)), idempotency: nil)
                    return (false, outcome.approved)
                }
            }
            var all: [(isHold: Bool, approved: Bool)] = []
            for try await result in group { all.append(result) }
            return all
        }
        let holds = results.filter { $0.isHold && $0.approved }.count
        #expect(results.filter(\.approved).count == 100)
        let view = try await store.workspace(id: "w")
        #expect(view.remainingBalance == .zero && view.heldAmount == Amount(units: Int64(holds)))
        _ = try await store.expectLedgerHolds()
    }

    @Test(arguments: Backend.allCases)
    func ledgerVerifyCatchesAHoldThatNoLongerMatchesItsAccounts(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        try await store.makeWorkspace("w", credits: Amount(units: 10))
        _ = try await Self.hold(store, multiplier: Amount(units: 10))
        _ = try await store.expectLedgerHolds()
        let edit = "UPDATE holds SET held_credits_micros = held_credits_micros - 1 WHERE workspace_id = 'w'"
        try await Tampering.apply(store, sqlite: [edit], postgres: edit)
        #expect(try await store.verifyLedger().violation?.rule == .holdMismatch)
    }

    /// Allowance held counts as used: a plan change cannot issue it a second time, and the
    /// allowance alerts see it (SPEC §3.1: net of holds everywhere).
    @Test(arguments: Backend.allCases)
    func heldAllowanceCountsAsUsedForPlanChangesAndAlerts(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        try await store.makeWorkspace("w", plan: "pro")
        guard let holdId = try await Self.hold(store, actionType: "SENTINEL_MONITORING_HOUR", multiplier: Amount(units: 24)).holdId else { Issue.record("no hold"); return }
        _ = try await store.updateWorkspace(id: "w", patch: WorkspacePatch(planId: "free", status: nil, name: nil))
        #expect(try await store.workspace(id: "w").remainingAllowance == Amount(units: 952))
        _ = try await store.releaseHold(id: holdId, canAccess: Self.everyone, idempotency: nil)
        #expect(try await store.workspace(id: "w").remainingAllowance == Amount(units: 1_000))
        // 800 of the free plan's 1,000 held: the 80 % alert fires at the hold.
        _ = try await Self.hold(store, multiplier: Amount(units: 800))
        let alerts = try await store.events(workspaceId: "w", afterSeq: 0, limit: 100).filter { $0.type == .allowanceThreshold }
        #expect(alerts.count == 1)
        _ = try await store.expectLedgerHolds()
    }

    /// A hold made shorter is free for the first call after its new `expiresAt`.
    @Test(arguments: Backend.allCases)
    func aShortenedHoldIsFreeAtItsNewExpiry(backend: Backend) async throws {
        let (store, clock) = try await backend.makeStore()
        try await store.makeWorkspace("w", credits: Amount(units: 1))
        guard let holdId = try await Self.hold(store, multiplier: Amount(units: 10), ttlSeconds: 300).holdId else { Issue.record("no hold"); return }
        _ = try await store.extendHold(id: holdId, ttlSeconds: 1, canAccess: Self.everyone)
        clock.advance(seconds: 2)
        #expect(try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM", costMultiplier: Amount(units: 10)), idempotency: nil).approved)
        // Listed as a read shows it.
        #expect(try await store.holds(workspaceId: "w", status: .expired, limit: 10, cursor: nil).items.map(\.id) == [holdId])
        #expect(try await store.holds(workspaceId: "w", status: .open, limit: 10, cursor: nil).items.isEmpty)
        _ = try await store.expectLedgerHolds()
    }

    @Test(arguments: Backend.allCases)
    func aCommitOfNothingThatKeepsTheHoldOpenIsRefused(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        try await store.makeWorkspace("w", credits: Amount(units: 1))
        guard let holdId = try await Self.hold(store, multiplier: Amount(units: 10)).holdId else { Issue.record("no hold"); return }
        await #expect { try await Self.commit(store, holdId, .actions(.zero), final: false) } throws: { ($0 as? TributeError)?.code == "invalid_value" }
        let closed = try await Self.commit(store, holdId, .actions(.zero), final: true)
        #expect(field(closed.body, "status")?.stringValue == "committed")
        #expect(try await store.workspace(id: "w").remainingBalance == Amount(units: 1))
        _ = try await store.expectLedgerHolds()
    }
}
