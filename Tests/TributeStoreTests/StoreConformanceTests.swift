import Testing
import TributeCore
import TributeStore
import TributeTestSupport

/// The store conformance suite: every backend must pass it unchanged.
@Suite struct StoreConformanceTests {
    @Test(arguments: Backend.allCases)
    func aDebitMovesBalancesAndRecordsTheDecision(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        try await store.makeWorkspace("w", plan: "pro", credits: Amount(units: 10))
        let outcome = try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "COMPLEX_LLM", userId: "u", costMultiplier: Amount(micros: 2_000_000)), idempotency: nil)
        #expect(outcome.approved)
        #expect(amountField(outcome.body, "actionsCharged") == Amount(units: 10))
        #expect(amountField(outcome.body, "remainingAllowance") == Amount(units: 49_990))
        let view = try await store.workspace(id: "w")
        #expect(view.remainingAllowance == Amount(units: 49_990))
        #expect(view.remainingBalance == Amount(units: 10))
        let decisions = try await store.decisions(workspaceId: "w", limit: 10, cursor: nil, approved: nil)
        #expect(decisions.items.count == 1)
        #expect(decisions.items[0].userId == "u")
        _ = try await store.expectLedgerHolds()
    }

    @Test(arguments: Backend.allCases)
    func unknownWorkspaceAndActionTypeAreErrorsThatWriteNothing(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        try await store.makeWorkspace("w", credits: Amount(units: 5))
        await #expect(throws: TributeError.workspaceNotFound("nope")) {
            try await store.authorize(AuthorizeRequest(workspaceId: "nope", actionType: "SIMPLE_LLM"), idempotency: nil)
        }
        await #expect(throws: TributeError.unknownActionType("NOPE")) {
            try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "NOPE"), idempotency: nil)
        }
        let report = try await store.expectLedgerHolds()
        #expect(report.decisions == 0)
    }

    /// 1,000 concurrent callers, money for exactly 100: exactly 100 approved, balance 0.
    @Test(arguments: Backend.allCases)
    func concurrentDebitsNeverOverdrawTheWallet(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        try await store.makeWorkspace("w", plan: "prepaid", credits: Amount(units: 10)) // 100 × 0.1 credits
        let approved = try await concurrentAuthorize(store, count: 1000, request: AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM"))
        #expect(approved.approved == 100)
        #expect(approved.reasons["INSUFFICIENT_BALANCE"] == 900)
        #expect(try await store.workspace(id: "w").remainingBalance == .zero)
        _ = try await store.expectLedgerHolds()
    }

    @Test(arguments: Backend.allCases)
    func concurrentDebitsNeverOverrunABudget(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        try await store.makeWorkspace("w", plan: "prepaid", credits: Amount(units: 1000))
        _ = try await store.putBudget(workspaceId: "w", scope: BudgetScope(kind: .agent, id: "loop"), limit: Amount(units: 100), unit: .actions, period: .month)
        let result = try await concurrentAuthorize(store, count: 1000, request: AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM", agentId: "loop"))
        #expect(result.approved == 100)
        #expect(result.reasons["BUDGET_EXCEEDED"] == 900)
        let budget = try await store.budgets(workspaceId: "w").first!.budget
        #expect(budget.used == Amount(units: 100))
        #expect(budget.remaining == .zero)
        _ = try await store.expectLedgerHolds()
    }

    @Test(arguments: Backend.allCases)
    func concurrentDebitsNeverOverrunABlockingAllowance(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        _ = try await store.putPlan(Plan(id: "hundred", name: "Hundred", monthlyAllowance: Amount(units: 100), overagePolicy: .block, overageRate: .zero, priceCents: 0))
        try await store.makeWorkspace("w", plan: "hundred", credits: Amount(units: 1000))
        let result = try await concurrentAuthorize(store, count: 1000, request: AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM"))
        #expect(result.approved == 100)
        #expect(result.reasons["PLAN_LIMIT_REACHED"] == 900)
        let view = try await store.workspace(id: "w")
        #expect(view.remainingAllowance == .zero)
        #expect(view.remainingBalance == Amount(units: 1000))
        _ = try await store.expectLedgerHolds()
    }

    /// Debits, grants and plan changes interleaved in the same batches: every balance still
    /// equals its postings and the wallet holds exactly what was granted less what was spent.
    @Test(arguments: Backend.allCases)
    func mixedConcurrentWritesKeepTheLedgerExact(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        try await store.makeWorkspace("w", plan: "prepaid", credits: Amount(units: 5))
        let approved = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<600 {
                group.addTask {
                    switch index % 30 {
                    case 0:
                        _ = try await store.grantCredits(workspaceId: "w", grant: CreditGrantDraft(amount: Amount(units: 1), expiresAt: nil, note: nil))
                        return 0
                    case 15:
                        _ = try await store.updateWorkspace(id: "w", patch: WorkspacePatch(planId: index % 60 == 15 ? "pro" : "prepaid", status: nil, name: nil))
                        return 0
                    default:
                        return try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM"), idempotency: nil).approved ? 1 : 0
                    }
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(approved > 0)
        _ = try await store.expectLedgerHolds()
        let first = try await store.decisions(workspaceId: "w", limit: 500, cursor: nil, approved: true)
        var rest: [DecisionRecord] = []
        if let next = first.nextCursor { rest = try await store.decisions(workspaceId: "w", limit: 500, cursor: next, approved: true).items }
        let spent = (first.items + rest).reduce(Amount.zero) { $0 + $1.creditsDebited }
        #expect(try await store.workspace(id: "w").remainingBalance == Amount(units: 5 + 20) - spent)
    }

    /// The same key and body 50 times at once: one debit, 50 identical answers.
    @Test(arguments: Backend.allCases)
    func idempotentRetriesDebitOnce(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        try await store.makeWorkspace("w", credits: Amount(units: 10))
        let request = AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM")
        let claim = IdempotencyClaim(key: "retry-1", requestHash: "hash-a")
        let bodies = try await withThrowingTaskGroup(of: AuthorizeOutcome.self) { group in
            for _ in 0..<50 { group.addTask { try await store.authorize(request, idempotency: claim) } }
            return try await group.reduce(into: [AuthorizeOutcome]()) { $0.append($1) }
        }
        #expect(Set(bodies.map(\.body)).count == 1)
        #expect(bodies.filter { !$0.replayed }.count == 1)
        #expect(try await store.workspace(id: "w").remainingBalance == Amount(micros: 9_900_000))
        await #expect(throws: TributeError.idempotencyKeyReused) {
            try await store.authorize(request, idempotency: IdempotencyClaim(key: "retry-1", requestHash: "hash-b"))
        }
        // The grant and one debit; a prepaid plan issues no allowance.
        #expect(try await store.expectLedgerHolds().transactions == 2)
    }

    @Test(arguments: Backend.allCases)
    func aNewPeriodRestoresTheAllowanceAndMonthlyBudgets(backend: Backend) async throws {
        let (store, clock) = try await backend.makeStore()
        _ = try await store.putPlan(Plan(id: "small", name: "Small", monthlyAllowance: Amount(units: 2), overagePolicy: .block, overageRate: .zero, priceCents: 0))
        try await store.makeWorkspace("w", plan: "small")
        _ = try await store.putBudget(workspaceId: "w", scope: BudgetScope(kind: .user, id: "u"), limit: Amount(units: 1), unit: .actions, period: .month)
        let request = AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM", userId: "u")
        #expect(try await store.authorize(request, idempotency: nil).approved)
        #expect(try await store.authorize(request, idempotency: nil).body.contains("BUDGET_EXCEEDED"))
        clock.advance(seconds: 31 * 86_400)
        #expect(try await store.workspace(id: "w").remainingAllowance == Amount(units: 2))
        #expect(try await store.authorize(request, idempotency: nil).approved)
        #expect(try await store.workspace(id: "w").remainingAllowance == Amount(units: 1))
        _ = try await store.expectLedgerHolds()
    }

    @Test(arguments: Backend.allCases)
    func expiringGrantsAreSpentFirstAndExpireThroughTheLedger(backend: Backend) async throws {
        let (store, clock) = try await backend.makeStore()
        try await store.makeWorkspace("w", credits: Amount(units: 1))
        let soon = clock.nowMillis() + 3_600_000
        _ = try await store.grantCredits(workspaceId: "w", grant: CreditGrantDraft(amount: Amount(units: 1), expiresAt: soon, note: "trial"))
        #expect(try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM"), idempotency: nil).approved) // 0.1 from the trial grant
        clock.advance(seconds: 7200)
        #expect(try await store.workspace(id: "w").remainingBalance == Amount(units: 1))
        let outcome = try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM"), idempotency: nil)
        #expect(amountField(outcome.body, "remainingBalance") == Amount(micros: 900_000))
        _ = try await store.expectLedgerHolds()
    }

    @Test(arguments: Backend.allCases)
    func aPlanChangeKeepsWhatThePeriodUsed(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        try await store.makeWorkspace("w", plan: "free")
        _ = try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "PROOF_VERIFICATION"), idempotency: nil)
        let moved = try await store.updateWorkspace(id: "w", patch: WorkspacePatch(planId: "pro", status: nil, name: nil))
        #expect(moved.remainingAllowance == Amount(units: 49_990))
        let back = try await store.updateWorkspace(id: "w", patch: WorkspacePatch(planId: "prepaid", status: .suspended, name: nil))
        #expect(back.remainingAllowance == .zero)
        #expect(try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM"), idempotency: nil).body.contains("WORKSPACE_SUSPENDED"))
        _ = try await store.expectLedgerHolds()
    }

    @Test(arguments: Backend.allCases)
    func costChangesAreVersionedAndRecordedOnDecisions(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        try await store.makeWorkspace("w", plan: "pro")
        let updated = try await store.setActionCost(actionType: "SIMPLE_LLM", baseCost: Amount(units: 2))
        #expect(updated.version == 2)
        let outcome = try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM"), idempotency: nil)
        #expect(field(outcome.body, "costVersion") == .number("2"))
        let history = try await store.actionCostHistory(actionType: "SIMPLE_LLM")
        #expect(history.map(\.version) == [2, 1])
    }

    @Test(arguments: Backend.allCases)
    func aFreeActionIsApprovedAndMovesNothing(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        try await store.makeWorkspace("w", plan: "prepaid")
        _ = try await store.setActionCost(actionType: "FREE_PING", baseCost: .zero)
        let outcome = try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "FREE_PING"), idempotency: nil)
        #expect(outcome.approved)
        #expect(field(outcome.body, "transactionId") == nil)
        let report = try await store.expectLedgerHolds()
        #expect(report.transactions == 0 && report.decisions == 1)
    }

    @Test(arguments: Backend.allCases)
    func listsArePaginatedNewestFirst(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        try await store.makeWorkspace("w", plan: "pro")
        for _ in 0..<5 { _ = try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM"), idempotency: nil) }
        let first = try await store.decisions(workspaceId: "w", limit: 3, cursor: nil, approved: true)
        let second = try await store.decisions(workspaceId: "w", limit: 3, cursor: first.nextCursor, approved: true)
        #expect(first.items.count == 3 && second.items.count == 2 && second.nextCursor == nil)
        #expect(Set((first.items + second.items).map(\.id)).count == 5)
        #expect(first.items[0].createdAtMillis >= second.items[0].createdAtMillis)
    }
}

/// Runs `count` authorize calls at once and tallies the answers.
func concurrentAuthorize(_ store: some TributeStore, count: Int, request: AuthorizeRequest) async throws -> (approved: Int, reasons: [String: Int]) {
    try await withThrowingTaskGroup(of: String.self) { group in
        for _ in 0..<count {
            group.addTask { field(try await store.authorize(request, idempotency: nil).body, "reason")?.stringValue ?? "?" }
        }
        var reasons: [String: Int] = [:]
        for try await reason in group { reasons[reason, default: 0] += 1 }
        return (reasons["APPROVED"] ?? 0, reasons)
    }
}
