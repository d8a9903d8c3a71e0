import Testing
import TributeCore
import TributeStore
import TributeTestSupport

/// SPEC §3.5 and §4 on every backend: a charge explained, reversed exactly once, and
/// checkpoints that catch removed decisions.
@Suite struct CorrectionConformanceTests {
    /// A prepaid workspace with an expiring grant of 1 credit, another of 5, and a
    /// lifetime budget of 10 credits for user u; one charge of 1.2 credits.
    static func charged(_ backend: Backend) async throws -> (any TributeStore, ManualClock, grants: [String], AuthorizeOutcome) {
        let (store, clock) = try await backend.makeStore()
        try await store.makeWorkspace("w")
        let expiring = try await store.grantCredits(workspaceId: "w", grant: CreditGrantDraft(amount: Amount(units: 1), expiresAt: clock.nowMillis() + 86_400_000, note: nil))
        let lasting = try await store.grantCredits(workspaceId: "w", grant: CreditGrantDraft(amount: Amount(units: 5), expiresAt: nil, note: nil))
        _ = try await store.putBudget(workspaceId: "w", scope: BudgetScope(kind: .user, id: "u"), limit: Amount(units: 10), unit: .credits, period: .lifetime)
        let outcome = try await store.authorize(
            AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM", userId: "u", costMultiplier: Amount(units: 12)), idempotency: nil)
        #expect(outcome.approved)
        return (store, clock, [expiring.id, lasting.id], outcome)
    }

    @Test(arguments: Backend.allCases)
    func aChargeIsExplainedWithEverythingItWasPricedAt(backend: Backend) async throws {
        let (store, _, grants, outcome) = try await Self.charged(backend)
        guard case .string(let decisionId)? = field(outcome.body, "decisionId") else { Issue.record("no decision id"); return }
        let explained = try await store.decision(workspaceId: "w", id: decisionId)
        #expect(explained.record.costVersion == 1)
        #expect(explained.explanation?.baseCost == Amount(units: 1))
        #expect(explained.explanation?.costMultiplier == Amount(units: 12))
        #expect(explained.explanation?.grants == [GrantDraw(grantId: grants[0], amount: Amount(units: 1)), GrantDraw(grantId: grants[1], amount: Amount(micros: 200_000))])
        #expect(explained.explanation?.budgets == [ChargeExplanation.BudgetCheck(
            scope: BudgetScope(kind: .user, id: "u"), unit: .credits, period: .lifetime, limit: Amount(units: 10), usedBefore: .zero)])
        #expect(explained.transaction?.kind == "debit")
        #expect(explained.previousHash == DecisionRecord.genesisHash)
        #expect(explained.hash == explained.record.chainHash(previous: explained.previousHash))
        await #expect(throws: TributeError.workspaceNotFound("x")) { try await store.decision(workspaceId: "x", id: decisionId) }
        try await store.makeWorkspace("x")
        await #expect(throws: TributeError.decisionNotFound(decisionId)) { try await store.decision(workspaceId: "x", id: decisionId) }
    }

    @Test(arguments: Backend.allCases)
    func aReversalReturnsExactlyWhatTheChargeTookOnce(backend: Backend) async throws {
        let (store, _, grants, outcome) = try await Self.charged(backend)
        guard case .string(let transactionId)? = field(outcome.body, "transactionId") else { Issue.record("no transaction id"); return }
        #expect(try await store.workspace(id: "w").remainingBalance == Amount(micros: 4_800_000))
        let reversal = try await store.reverseTransaction(id: transactionId, reason: "charged twice")
        #expect(reversal.transaction.kind == "reversal")
        #expect(reversal.transaction.reverses == transactionId)
        #expect(reversal.decision.reason == .reversed)
        #expect(reversal.decision.creditsDebited == Amount(micros: -1_200_000))
        #expect(try await store.workspace(id: "w").remainingBalance == Amount(units: 6))
        #expect(try await store.budgets(workspaceId: "w").first?.budget.used == .zero)
        await #expect(throws: TributeError.alreadyReversed(transactionId)) { try await store.reverseTransaction(id: transactionId, reason: "again") }
        await #expect(throws: TributeError.transactionNotFound("txn_nope")) { try await store.reverseTransaction(id: "txn_nope", reason: "x") }
        // Credits went back to the grants they came from: the expiring one is drawn first again.
        let again = try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM", costMultiplier: Amount(units: 10)), idempotency: nil)
        guard case .string(let againId)? = field(again.body, "decisionId") else { Issue.record("no decision id"); return }
        #expect(try await store.decision(workspaceId: "w", id: againId).explanation?.grants == [GrantDraw(grantId: grants[0], amount: Amount(units: 1))])
        let decisions = try await store.decisions(workspaceId: "w", limit: 10, cursor: nil, approved: nil)
        #expect(decisions.items.map(\.reason) == [.approved, .reversed, .approved])
        _ = try await store.expectLedgerHolds()
    }

    @Test(arguments: Backend.allCases)
    func onlyChargesAreReversed(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        try await store.makeWorkspace("w")
        let grant = try await store.grantCredits(workspaceId: "w", grant: CreditGrantDraft(amount: Amount(units: 5), expiresAt: nil, note: nil))
        let grantTransaction = try #require(grant.transaction).id
        await #expect { try await store.reverseTransaction(id: grantTransaction, reason: "no") } throws: { ($0 as? TributeError)?.code == "not_reversible" }
        _ = try await store.expectLedgerHolds()
    }

    @Test(arguments: Backend.allCases)
    func concurrentReversalsOfOneChargeSucceedOnce(backend: Backend) async throws {
        let (store, _, _, outcome) = try await Self.charged(backend)
        guard case .string(let transactionId)? = field(outcome.body, "transactionId") else { Issue.record("no transaction id"); return }
        let succeeded = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    do {
                        _ = try await store.reverseTransaction(id: transactionId, reason: "race")
                        return true
                    } catch TributeError.alreadyReversed {
                        return false
                    }
                }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(succeeded == 1)
        #expect(try await store.workspace(id: "w").remainingBalance == Amount(units: 6))
        _ = try await store.expectLedgerHolds()
    }

    @Test(arguments: Backend.allCases)
    func allowanceComesBackOnlyInThePeriodItWasTaken(backend: Backend) async throws {
        let (store, clock) = try await backend.makeStore()
        try await store.makeWorkspace("w", plan: "pro")
        func charge() async throws -> String {
            let outcome = try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "COMPLEX_LLM"), idempotency: nil)
            guard case .string(let id)? = field(outcome.body, "transactionId") else { throw TributeError.transactionNotFound("none") }
            return id
        }
        let first = try await charge(), second = try await charge()
        #expect(try await store.workspace(id: "w").remainingAllowance == Amount(units: 49_990))
        let back = try await store.reverseTransaction(id: first, reason: "same period")
        #expect(back.decision.fromAllowance == Amount(units: -5))
        #expect(try await store.workspace(id: "w").remainingAllowance == Amount(units: 49_995))
        // Once its period has ended, the allowance it took has lapsed: nothing to give back.
        clock.advance(seconds: 40 * 86_400)
        await #expect { try await store.reverseTransaction(id: second, reason: "next period") } throws: { ($0 as? TributeError)?.code == "not_reversible" }
        #expect(try await store.workspace(id: "w").remainingAllowance == Amount(units: 50_000))
        _ = try await store.expectLedgerHolds()
    }

    @Test(arguments: Backend.allCases)
    func aCheckpointCatchesDecisionsRemovedSinceIt(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        try await store.makeWorkspace("w", credits: Amount(units: 5))
        try await store.makeWorkspace("idle")
        _ = try await store.setActionCost(actionType: "FREE_LOOKUP", baseCost: .zero)
        for _ in 0..<3 { _ = try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM"), idempotency: nil) }
        let first = try await store.recordCheckpoint()
        #expect(first.heads.count == 2)
        let events = try await store.events(workspaceId: "w", afterSeq: 0, limit: 100).filter { $0.type == .ledgerCheckpoint }
        #expect(events.map { $0.data["digest"] } == [.string(first.digest)])
        #expect(try await store.events(workspaceId: "idle", afterSeq: 0, limit: 100).filter { $0.type == .ledgerCheckpoint }.isEmpty)

        _ = try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM"), idempotency: nil)
        let previousHead = try await store.decisions(workspaceId: "w", limit: 1, cursor: nil, approved: nil).items[0]
        _ = try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "FREE_LOOKUP"), idempotency: nil)
        let second = try await store.recordCheckpoint()
        #expect(try await store.verifyLedger(checkpoints: [first.digest, second.digest]).violation == nil)

        // The newest decision removed and the head set back to the one before: consistent,
        // so plain verify passes; the checkpoint that recorded it does not.
        let explained = try await store.decision(workspaceId: "w", id: previousHead.id)
        let newest = try await store.decisions(workspaceId: "w", limit: 1, cursor: nil, approved: nil).items[0].id
        try await Tampering.apply(store, sqlite: ["DELETE FROM decisions WHERE id = '\(newest)'", "UPDATE workspaces SET decision_head = '\(explained.hash)' WHERE id = 'w'"],
                                  postgres: "WITH d AS (DELETE FROM decisions WHERE id = '\(newest)') UPDATE workspaces SET decision_head = '\(explained.hash)' WHERE id = 'w'")
        #expect(try await store.verifyLedger().violation == nil)
        #expect(try await store.verifyLedger(checkpoints: [first.digest]).violation == nil)
        #expect(try await store.verifyLedger(checkpoints: [second.digest]).violation?.rule == .checkpointNotReached)

        try await Tampering.apply(store, sqlite: ["DELETE FROM ledger_checkpoints WHERE digest = '\(first.digest)'"],
                                  postgres: "DELETE FROM ledger_checkpoints WHERE digest = '\(first.digest)'")
        #expect(try await store.verifyLedger(checkpoints: [first.digest]).violation?.rule == .checkpointMissing)
        let altered = String(repeating: "0", count: 64)
        #expect(try await store.verifyLedger(checkpoints: [altered]).violation?.rule == .checkpointMissing)
    }

    @Test(arguments: Backend.allCases)
    func aBudgetMadeAgainSinceTheChargeGetsNothingBack(backend: Backend) async throws {
        let (store, clock, _, outcome) = try await Self.charged(backend)
        guard case .string(let transactionId)? = field(outcome.body, "transactionId") else { Issue.record("no transaction id"); return }
        let scope = BudgetScope(kind: .user, id: "u")
        try await store.deleteBudget(workspaceId: "w", scope: scope)
        clock.advance(seconds: 1)
        _ = try await store.putBudget(workspaceId: "w", scope: scope, limit: Amount(units: 10), unit: .credits, period: .lifetime)
        _ = try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM", userId: "u", costMultiplier: Amount(units: 5)), idempotency: nil)
        #expect(try await store.budgets(workspaceId: "w").first?.budget.used == Amount(micros: 500_000))
        _ = try await store.reverseTransaction(id: transactionId, reason: "before the budget")
        #expect(try await store.budgets(workspaceId: "w").first?.budget.used == Amount(micros: 500_000))
        _ = try await store.expectLedgerHolds()
    }

    /// A refund that found its credits spent closes the purchase's grant: a charge reversed
    /// later gives those credits back to the refund, not to the customer.
    @Test(arguments: Backend.allCases)
    func creditsOfARefundedPurchaseDoNotComeBackWithAReversal(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        try await store.makeWorkspace("w")
        let purchase = try await PaymentConformanceTests.pending(store, intent: "pi_refund_reverse")
        _ = try await store.applyPayment(PaymentConformanceTests.paid(purchase))
        let spent = try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM", costMultiplier: Amount(units: 1_000)), idempotency: nil)
        guard case .string(let transactionId)? = field(spent.body, "transactionId") else { Issue.record("no transaction id"); return }
        #expect(try await store.workspace(id: "w").remainingBalance == .zero)
        _ = try await store.applyPayment(.refunded(paymentIntentId: "pi_refund_reverse", refundedTotalCents: purchase.amountCents))
        _ = try await store.reverseTransaction(id: transactionId, reason: "refunded already")
        #expect(try await store.workspace(id: "w").remainingBalance == .zero)
        _ = try await store.expectLedgerHolds()
    }
}
