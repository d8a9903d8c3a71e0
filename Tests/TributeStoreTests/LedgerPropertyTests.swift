import Testing
import TributeCore
import TributeStore
import TributeTestSupport

/// Property tests of the conformance suite: random operation sequences, on every backend.
@Suite struct LedgerPropertyTests {
    /// Random sequences of grants, debits, plan changes and time passing: balances never
    /// negative, every transaction balanced, balances equal to the sum of their postings.
    @Test(arguments: Backend.allCases, [1, 2, 3, 4, 5, 6] as [UInt64])
    func randomOperationSequencesKeepEveryLedgerRule(backend: Backend, seed: UInt64) async throws {
        let (store, clock) = try await backend.makeStore()
        var random = SplitMix64(seed: seed)
        let plans = ["free", "prepaid", "pro"]
        let types = DefaultCatalog.actionCosts.map(\.0)
        for index in 0..<3 { try await store.makeWorkspace("w\(index)", plan: plans[index]) }
        for _ in 0..<300 {
            let workspace = "w\(random.next(below: 3))"
            switch random.next(below: 10) {
            case 0:
                let expires = random.next(below: 2) == 0 ? nil : clock.nowMillis() + Int64(random.next(below: 5_000_000) + 1000)
                _ = try await store.grantCredits(workspaceId: workspace, grant: CreditGrantDraft(amount: Amount(micros: Int64(random.next(below: 5_000_000) + 1)), expiresAt: expires, note: nil))
            case 1:
                _ = try await store.updateWorkspace(id: workspace, patch: WorkspacePatch(planId: plans[Int(random.next(below: 3))], status: nil, name: nil))
            case 2:
                clock.advance(seconds: Int64(random.next(below: 20 * 86_400)))
            case 3:
                _ = try await store.putBudget(workspaceId: workspace, scope: BudgetScope(kind: .user, id: "u\(random.next(below: 2))"), limit: Amount(micros: Int64(random.next(below: 20_000_000))), unit: random.next(below: 2) == 0 ? .actions : .credits, period: .month)
            default:
                let multiplier = Amount(micros: Int64(random.next(below: 3_000_000) + 1))
                let request = AuthorizeRequest(workspaceId: workspace, actionType: types[Int(random.next(below: UInt64(types.count)))], userId: "u\(random.next(below: 2))", costMultiplier: multiplier)
                _ = try await store.authorize(request, idempotency: nil)
            }
        }
        let report = try await store.expectLedgerHolds()
        #expect(report.decisions > 100)
    }
}
