import Testing
import TributeCore
import TributeStore
import TributeTestSupport

/// Property tests of the conformance suite: random operation sequences, on every backend.
@Suite struct LedgerPropertyTests {
    /// Random sequences of grants, debits, holds and their commits, releases and extends,
    /// plan changes and time passing: balances never negative, every transaction balanced,
    /// balances equal to the sum of their postings, no allowance past the plan, every
    /// transaction's legs what its decision records.
    @Test(arguments: Backend.allCases, [1, 2, 3, 4, 5, 6] as [UInt64])
    func randomOperationSequencesKeepEveryLedgerRule(backend: Backend, seed: UInt64) async throws {
        let (store, clock) = try await backend.makeStore()
        var random = SplitMix64(seed: seed)
        let plans = ["free", "prepaid", "pro"]
        let types = DefaultCatalog.actionCosts.map(\.0)
        for index in 0..<3 { try await store.makeWorkspace("w\(index)", plan: plans[index]) }
        var holdIds: [String] = []
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
            case 4:
                // A hold, later moved by case 5: with plan changes and time passing between,
                // every give-back must keep the plan rule and every leg its decision.
                let request = AuthorizeRequest(workspaceId: workspace, actionType: types[Int(random.next(below: UInt64(types.count)))],
                                               costMultiplier: Amount(micros: Int64(random.next(below: 3_000_000) + 1)))
                let outcome = try await store.hold(HoldRequest(request, ttlSeconds: Int64(random.next(below: 86_400) + 1)), idempotency: nil)
                if let id = field(outcome.body, "holdId")?.stringValue { holdIds.append(id) }
            case 5:
                guard !holdIds.isEmpty else { continue }
                let id = holdIds[Int(random.next(below: UInt64(holdIds.count)))]
                let everyone: @Sendable (String) -> Bool = { _ in true }
                // Refusals (expired, closed, past the period) are part of the sequence.
                switch random.next(below: 4) {
                case 0: _ = try? await store.releaseHold(id: id, canAccess: everyone, idempotency: nil)
                case 1: _ = try? await store.extendHold(id: id, ttlSeconds: Int64(random.next(below: 86_400) + 1), canAccess: everyone)
                default:
                    let held = try await store.hold(id: id, canAccess: everyone).heldActions
                    let actual = Amount(micros: held.micros == 0 ? 0 : Int64(random.next(below: UInt64(held.micros) + 1)))
                    _ = try? await store.commitHold(HoldCommit(holdId: id, actual: .actions(actual), final: random.next(below: 2) == 0), canAccess: everyone, idempotency: nil)
                }
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
