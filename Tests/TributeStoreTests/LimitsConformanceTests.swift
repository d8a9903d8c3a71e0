import Testing
import TributeCore
import TributeStore
import TributeTestSupport

/// SPEC §3.3 on every backend: sums past the largest amount are refused and write nothing,
/// and idempotency keys expire after their window.
@Suite struct LimitsConformanceTests {
    /// Ten grants of 10¹² credits: the first fills the wallet, the other nine are refused,
    /// and the ledger still verifies (it once stored the wallet as the float 1e+19).
    @Test(arguments: Backend.allCases)
    func grantsPastTheLargestAmountAreRefusedAndWriteNothing(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        try await store.makeWorkspace("w")
        var refused = 0
        for _ in 0..<10 {
            do {
                _ = try await store.grantCredits(workspaceId: "w", grant: CreditGrantDraft(amount: .max, expiresAt: nil, note: nil))
            } catch let error as TributeError {
                #expect(error.code == "amount_too_large")
                refused += 1
            }
        }
        #expect(refused == 9)
        #expect(try await store.workspace(id: "w").remainingBalance == .max)
        #expect(try await store.workspaces(limit: 10, cursor: nil).items.count == 1)
        let report = try await store.expectLedgerHolds()
        #expect(report.transactions == 1)
    }

    /// The shared `system:grants` account is bounded too: grants spread over workspaces stop
    /// when its total would pass the largest amount.
    @Test(arguments: Backend.allCases)
    func aSystemAccountsTotalIsBoundedAcrossWorkspaces(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        try await store.makeWorkspace("a")
        try await store.makeWorkspace("b")
        _ = try await store.grantCredits(workspaceId: "a", grant: CreditGrantDraft(amount: .max, expiresAt: nil, note: nil))
        await #expect(throws: TributeError.self) {
            _ = try await store.grantCredits(workspaceId: "b", grant: CreditGrantDraft(amount: Amount(micros: 1), expiresAt: nil, note: nil))
        }
        #expect(try await store.workspace(id: "b").remainingBalance == .zero)
        _ = try await store.expectLedgerHolds()
    }

    /// A period roll that would take `system:allowance_issued` past the bound is refused on
    /// the hot path of each backend, and nothing of the refused call is written.
    @Test(arguments: Backend.allCases)
    func periodRollsThatWouldOverflowASystemAccountAreRefused(backend: Backend) async throws {
        let (store, clock) = try await backend.makeStore()
        _ = try await store.putPlan(Plan(id: "huge", name: "Huge", monthlyAllowance: .max, overagePolicy: .block, overageRate: .zero, priceCents: 0))
        _ = try await store.setActionCost(actionType: "HUGE", baseCost: .max)
        try await store.makeWorkspace("a", plan: "huge")
        let first = try await store.authorize(AuthorizeRequest(workspaceId: "a", actionType: "HUGE"), idempotency: nil)
        #expect(first.approved)
        clock.advance(seconds: 40 * 86_400)
        await #expect(throws: TributeError.amountTooLarge("This would take system:allowance_issued past the largest amount an account holds (1000000000000)")) {
            _ = try await store.authorize(AuthorizeRequest(workspaceId: "a", actionType: "SIMPLE_LLM"), idempotency: nil)
        }
        let report = try await store.expectLedgerHolds()
        #expect(report.decisions == 1)
        #expect(try await store.workspaces(limit: 10, cursor: nil).items.count == 1)

        // Netting the shared counters against each other (`usage` against
        // `allowance_issued`) lets the tenant's period roll through, balanced.
        #expect(try await store.netSystemAccounts())
        #expect(try await !store.netSystemAccounts())
        let next = try await store.authorize(AuthorizeRequest(workspaceId: "a", actionType: "SIMPLE_LLM"), idempotency: nil)
        #expect(next.approved)
        #expect(try await store.workspace(id: "a").remainingAllowance == Amount(micros: Amount.max.micros - 1_000_000))
        let after = try await store.expectLedgerHolds()
        #expect(after.decisions == 2)
    }

    /// Netting is balanced in each unit and leaves no account larger than its unit's total.
    @Test func nettingMovesSystemAccountsTowardsZeroAndStaysBalanced() throws {
        let half = Amount(micros: Amount.max.micros / 2)
        let balances = SystemBalances([
            .allowanceIssued: -Amount.max, .usage: Amount(micros: Amount.max.micros - 10), .allowanceLapsed: Amount(micros: 4),
            .grants: -half, .revenue: Amount(micros: 7),
        ])
        let netting = try #require(SystemNetting.transaction(balances))
        let after = try balances.applying(netting.postings)
        #expect(after[.allowanceIssued] == Amount(micros: -6))
        #expect(after[.usage] == .zero)
        #expect(after[.allowanceLapsed] == .zero)
        // Credits were not past the threshold: untouched.
        #expect(after[.grants] == -half)
        #expect(after[.revenue] == Amount(micros: 7))
        #expect(SystemNetting.transaction(after) == nil)
    }

    /// A key replays inside its window; once swept, the same key is a new request.
    @Test(arguments: Backend.allCases)
    func idempotencyKeysExpireAfterTheirWindow(backend: Backend) async throws {
        let (store, clock) = try await backend.makeStore()
        try await store.makeWorkspace("w", credits: Amount(units: 10))
        let request = AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM")
        let first = try await store.authorize(request, idempotency: IdempotencyClaim(key: "k", requestHash: "a"))
        let windowMillis: Int64 = 7 * 86_400_000
        clock.advance(seconds: 6 * 86_400)
        #expect(try await store.expireIdempotencyKeys(createdBeforeMillis: clock.nowMillis() - windowMillis, limit: 100) == 0)
        let replay = try await store.authorize(request, idempotency: IdempotencyClaim(key: "k", requestHash: "a"))
        #expect(replay.replayed && replay.body == first.body)
        clock.advance(seconds: 2 * 86_400)
        #expect(try await store.expireIdempotencyKeys(createdBeforeMillis: clock.nowMillis() - windowMillis, limit: 100) == 1)
        let fresh = try await store.authorize(request, idempotency: IdempotencyClaim(key: "k", requestHash: "b"))
        #expect(!fresh.replayed && fresh.approved)
        #expect(try await store.workspace(id: "w").remainingBalance == Amount(micros: 9_800_000))
        _ = try await store.expectLedgerHolds()
    }
}
