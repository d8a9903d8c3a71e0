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

    /// A period roll that would take `system:allowance_issued` past the bound nets it
    /// against `usage` in the same write, on the hot path of each backend: a shared
    /// lifetime counter never refuses a tenant while the workspaces hold less than the bound.
    @Test(arguments: Backend.allCases)
    func periodRollsNetTheSharedCountersInsteadOfRefusing(backend: Backend) async throws {
        let (store, clock) = try await backend.makeStore()
        try await Self.useUpAHugeAllowance(store)
        for month in 1...3 {
            clock.advance(seconds: 40 * 86_400)
            let next = try await store.authorize(AuthorizeRequest(workspaceId: "a", actionType: month == 3 ? "SIMPLE_LLM" : "HUGE"), idempotency: nil)
            #expect(next.approved)
        }
        #expect(try await store.workspace(id: "a").remainingAllowance == Amount(micros: Amount.max.micros - 1_000_000))
        let report = try await store.expectLedgerHolds()
        #expect(report.decisions == 4)
        // The netting transactions belong to no workspace: the ledger holds more than "a"'s.
        let own = try await store.transactions(workspaceId: "a", limit: 500, cursor: nil).items.count
        #expect(report.transactions > own)
    }

    /// A period roll of a plan past half the bound with its allowance unused: lapsed and
    /// issued net against each other, every month (the case that locked a tenant out).
    @Test(arguments: Backend.allCases)
    func unusedLargeAllowancesRollEveryMonth(backend: Backend) async throws {
        let (store, clock) = try await backend.makeStore()
        let large = Amount(micros: Amount.max.micros / 10 * 6)
        _ = try await store.putPlan(Plan(id: "large", name: "Large", monthlyAllowance: large, overagePolicy: .block, overageRate: .zero, priceCents: 0))
        try await store.makeWorkspace("a", plan: "large")
        for _ in 1...4 {
            clock.advance(seconds: 40 * 86_400)
            #expect(try await store.authorize(AuthorizeRequest(workspaceId: "a", actionType: "SIMPLE_LLM"), idempotency: nil).approved)
        }
        #expect(try await store.netSystemAccounts() == false)
        _ = try await store.expectLedgerHolds()
    }

    /// Housekeeping's netting: balanced, then nothing more to do.
    @Test(arguments: Backend.allCases)
    func housekeepingNetsAccountsPastHalfTheBound(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        try await Self.useUpAHugeAllowance(store)
        #expect(try await store.netSystemAccounts())
        #expect(try await !store.netSystemAccounts())
        let report = try await store.expectLedgerHolds()
        #expect(report.decisions == 1)
    }

    /// Workspace "a" on a plan of `Amount.max` actions, all of them used by one call:
    /// `allowance_issued` at minus the bound, `usage` at the bound.
    static func useUpAHugeAllowance(_ store: any TributeStore) async throws {
        _ = try await store.putPlan(Plan(id: "huge", name: "Huge", monthlyAllowance: .max, overagePolicy: .block, overageRate: .zero, priceCents: 0))
        _ = try await store.setActionCost(actionType: "HUGE", baseCost: .max)
        try await store.makeWorkspace("a", plan: "huge")
        #expect(try await store.authorize(AuthorizeRequest(workspaceId: "a", actionType: "HUGE"), idempotency: nil).approved)
    }

    /// Netting is balanced in each unit and leaves no account larger than its unit's total.
    @Test func nettingMovesSystemAccountsTowardsZeroAndStaysBalanced() throws {
        let half = Amount(micros: Amount.max.micros / 2)
        let balances = SystemBalances([
            .allowanceIssued: -Amount.max, .usage: Amount(micros: Amount.max.micros - 10), .allowanceLapsed: Amount(micros: 4),
            .grants: -half, .revenue: Amount(micros: 7),
        ])
        let netting = try #require(SystemNetting.transaction(balances))
        let after = try #require(try? balances.settling(netting.postings))
        #expect(after.netting == nil)
        #expect(after.balances[.allowanceIssued] == -6)
        #expect(after.balances[.usage] == 0)
        #expect(after.balances[.allowanceLapsed] == 0)
        // Credits were not past the threshold: untouched.
        #expect(after.balances[.grants] == -half.micros)
        #expect(after.balances[.revenue] == 7)
        #expect(SystemNetting.transaction(after.balances) == nil)
    }

    /// A write that takes a system account past the bound gets its netting in the same
    /// step; an account already past it (concurrent writes on PostgreSQL) takes postings
    /// that shrink it, and refuses those that grow it.
    @Test func settlingNetsWhatWouldPassTheBoundAndOnlyRefusesGrowth() throws {
        let issued = SystemBalances(micros: [.allowanceIssued: -Amount.max.micros / 10 * 6])
        let roll = [Posting(account: .system(.allowanceLapsed), amount: Amount(micros: Amount.max.micros / 10 * 6)),
                    Posting(account: .system(.allowanceIssued), amount: Amount(micros: -Amount.max.micros / 10 * 6))]
        let settled = try issued.settling(roll)
        #expect(settled.netting != nil)
        #expect(settled.balances[.allowanceIssued] == -Amount.max.micros / 10 * 6)
        #expect(settled.balances[.allowanceLapsed] == 0)

        let over = SystemBalances(micros: [.grants: -Amount.max.micros - 5])
        #expect(throws: TributeError.self) { try over.settling([Posting(account: .system(.grants), amount: Amount(micros: -1))]) }
        let shrunk = try over.settling([Posting(account: .system(.revenue), amount: Amount(micros: 3))])
        #expect(shrunk.balances[.grants] == -Amount.max.micros - 2)
    }

    /// A deleted endpoint is gone, its delivery log too (any cursor): 404, not an empty page.
    @Test(arguments: Backend.allCases)
    func aDeletedEndpointsDeliveriesAreNotFound(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        let (endpoint, _) = try await store.createWebhookEndpoint(url: "https://hooks.example.com/t", eventTypes: [], description: nil)
        #expect(try await store.webhookDeliveries(endpointId: endpoint.id, limit: 10, cursor: "1111").items.isEmpty)
        try await store.deleteWebhookEndpoint(id: endpoint.id)
        await #expect(throws: TributeError.webhookEndpointNotFound(endpoint.id)) {
            _ = try await store.webhookDeliveries(endpointId: endpoint.id, limit: 1, cursor: "1111")
        }
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
