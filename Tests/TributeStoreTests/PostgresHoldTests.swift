import Foundation
import Testing
import TributeCore
import TributeStore
import TributeTestSupport

/// Holds (SPEC §3.1) with several instances on one database: what only PostgreSQL has.
@Suite struct PostgresHoldTests {
    static let everyone: @Sendable (String) -> Bool = { _ in true }

    /// Two instances on one database and a clock they share.
    func twoInstances() async throws -> (PostgresStore, PostgresStore, ManualClock) {
        let clock = ManualClock(millis: Backend.testClockStart)
        let first = try await Backend.makePostgresStore(clock: clock)
        let second = try PostgresStore(url: first.url, clock: clock, timeoutSeconds: Backend.postgresTimeoutSeconds)
        await second.start()
        return (first, second, clock)
    }

    /// A workspace with 20 actions of allowance a period and 100 credits (overage at 0.1),
    /// so that holds take allowance first, then credits.
    private func makeWorkspace(_ store: PostgresStore, _ id: String) async throws {
        _ = try await store.putPlan(Plan(id: "small", name: "Small", monthlyAllowance: Amount(units: 20), overagePolicy: .credits,
                                         overageRate: Amount(micros: 100_000), priceCents: 0))
        try await store.makeWorkspace(id, plan: "small", credits: Amount(units: 100))
    }

    func hold(_ store: PostgresStore, _ workspaceId: String, multiplier: Amount = Amount(units: 2), ttlSeconds: Int64 = 60,
                      userId: String? = nil) async throws -> String {
        let call = AuthorizeRequest(workspaceId: workspaceId, actionType: "SIMPLE_LLM", userId: userId, costMultiplier: multiplier)
        let outcome = try await store.hold(HoldRequest(call, ttlSeconds: ttlSeconds), idempotency: nil)
        #expect(outcome.approved)
        guard case .string(let id)? = field(outcome.body, "holdId") else { throw HoldMissing(body: outcome.body) }
        return id
    }

    private struct HoldMissing: Error { let body: String }

    /// 40 holds of one workspace made, committed (at once or in two parts), released and
    /// left to expire on two instances at once, with calls in between; then both sweepers
    /// and more calls together after the expiry. Every hold is settled exactly once, the
    /// hold accounts are empty and the ledger holds.
    @Test func twoInstancesMakeCommitAndExpireHoldsOfOneWorkspaceTogether() async throws {
        let (first, second, clock) = try await twoInstances()
        try await makeWorkspace(first, "w")
        let stores = [first, second]
        let ids = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<40 { group.addTask { try await self.hold(stores[index % 2], "w") } }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(Set(ids).count == 40)
        let held = try await second.workspace(id: "w")
        // 20 of the 80 actions held came from allowance, the other 60 at 0.1 from credits.
        #expect(held.remainingAllowance == .zero)
        #expect(held.heldAmount == Amount(units: 6))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, id) in ids.enumerated() {
                let store = stores[(index / 4) % 2]
                switch index % 4 {
                case 0:
                    group.addTask { _ = try await store.commitHold(HoldCommit(holdId: id, actual: .actions(Amount(units: 1))), canAccess: Self.everyone, idempotency: nil) }
                case 1:
                    group.addTask {
                        _ = try await store.commitHold(HoldCommit(holdId: id, actual: .actions(Amount(units: 1)), final: false), canAccess: Self.everyone, idempotency: nil)
                        _ = try await stores[(index / 4 + 1) % 2].commitHold(HoldCommit(holdId: id, actual: nil), canAccess: Self.everyone, idempotency: nil)
                    }
                case 2:
                    group.addTask { _ = try await store.releaseHold(id: id, canAccess: Self.everyone, idempotency: nil) }
                default:
                    group.addTask { _ = try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "TOOL_USE"), idempotency: nil) }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await first.holds(workspaceId: "w", status: .open, limit: 100, cursor: nil).items.count == 10)
        clock.advance(seconds: 61)
        let swept = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<6 {
                let store = stores[index % 2]
                if index < 4 {
                    group.addTask { try await store.expireHolds(limit: 10) }
                } else {
                    group.addTask { _ = try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "TOOL_USE"), idempotency: nil); return 0 }
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(swept <= 10)
        #expect(try await first.expireHolds(limit: 10) == 0)
        let all = try await second.holds(workspaceId: "w", status: nil, limit: 100, cursor: nil).items
        #expect(all.count == 40)
        #expect(all.filter { $0.status == .expired }.count == 10)
        #expect(all.filter { $0.status == .released }.count == 10)
        #expect(all.filter { $0.status == .committed }.count == 20)
        #expect(all.allSatisfy { $0.heldActions.isZero && $0.heldCredits.isZero && $0.heldAllowance.isZero })
        let view = try await first.workspace(id: "w")
        #expect(view.heldAmount == .zero)
        // Committed: 10 × 1 and 10 × 2 actions, 30 actions in all; 20 of allowance lent to
        // holds came back or was charged (allowance first), so the rest was paid in credits.
        let committed = all.reduce(Amount.zero) { $0 + $1.committedActions }
        #expect(committed == Amount(units: 30))
        _ = try await first.expectLedgerHolds()
        _ = try await second.expectLedgerHolds()
    }

    /// A hold made on one instance and expired by the other's sweeper: its credits are
    /// back, it reads as expired on both, a second sweep finds nothing.
    @Test func aHoldMadeOnOneInstanceIsExpiredByTheOther() async throws {
        let (first, second, clock) = try await twoInstances()
        try await first.makeWorkspace("w", credits: Amount(units: 1))
        let id = try await hold(first, "w", multiplier: Amount(units: 10), ttlSeconds: 30)
        #expect(try await second.workspace(id: "w").remainingBalance == .zero)
        #expect(try await second.expireHolds(limit: 10) == 0)
        clock.advance(seconds: 30)
        #expect(try await first.hold(id: id, canAccess: Self.everyone).status == .expired)
        #expect(try await second.expireHolds(limit: 10) == 1)
        #expect(try await first.expireHolds(limit: 10) == 0)
        let stored = try await first.hold(id: id, canAccess: Self.everyone)
        #expect(stored.status == .expired)
        #expect(stored.heldCredits == .zero)
        let view = try await first.workspace(id: "w")
        #expect(view.remainingBalance == Amount(units: 1))
        #expect(view.heldAmount == .zero)
        // The instance that made the hold still has it open in memory: the row decides.
        await #expect(throws: TributeError.holdExpired(id)) {
            _ = try await first.commitHold(HoldCommit(holdId: id, actual: nil), canAccess: Self.everyone, idempotency: nil)
        }
        let decisions = try await first.decisions(workspaceId: "w", limit: 10, cursor: nil, approved: nil).items
        #expect(decisions.map(\.kind) == [.expiry, .hold])
        _ = try await first.expectLedgerHolds()
    }

    /// A call after a hold's expiry uses what it held, with no sweeper: the expiry is
    /// written by the call's batch, chained before the call's decision.
    @Test func aCallAfterExpiryUsesTheHeldCreditsWithoutTheSweeper() async throws {
        let (first, second, clock) = try await twoInstances()
        try await first.makeWorkspace("w", credits: Amount(units: 1))
        let id = try await hold(first, "w", multiplier: Amount(units: 10), ttlSeconds: 30)
        let call = AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM", costMultiplier: Amount(units: 10))
        #expect(try await second.authorize(call, idempotency: nil).approved == false)
        clock.advance(seconds: 30)
        let outcome = try await second.authorize(call, idempotency: nil)
        #expect(outcome.approved)
        #expect(amountField(outcome.body, "remainingBalance") == .zero)
        let stored = try await first.hold(id: id, canAccess: Self.everyone)
        #expect(stored.status == .expired)
        #expect(stored.heldCredits == .zero)
        #expect(try await first.expireHolds(limit: 10) == 0)
        let decisions = try await first.decisions(workspaceId: "w", limit: 10, cursor: nil, approved: nil).items
        #expect(decisions.map(\.kind) == [.call, .expiry, .call, .hold])
        _ = try await first.expectLedgerHolds()
    }

    /// A hold extended to end sooner than it would have frees its amounts from the new
    /// expiry on, for calls as for the sweeper.
    @Test func aHoldExtendedToEndSoonerIsFreedAtItsNewExpiry() async throws {
        let (first, second, clock) = try await twoInstances()
        try await first.makeWorkspace("w", credits: Amount(units: 1))
        let id = try await hold(first, "w", multiplier: Amount(units: 10), ttlSeconds: 3_600)
        let extended = try await second.extendHold(id: id, ttlSeconds: 10, canAccess: Self.everyone)
        #expect(extended.expiresAtMillis == clock.nowMillis() + 10_000)
        clock.advance(seconds: 10)
        let call = AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM", costMultiplier: Amount(units: 10))
        #expect(try await first.authorize(call, idempotency: nil).approved)
        #expect(try await second.hold(id: id, canAccess: Self.everyone).status == .expired)
        _ = try await first.expectLedgerHolds()
    }

    /// One commit sent with one key to both instances: charged once, the same body twice.
    @Test func aCommitWithAKeyIsChargedOnceAcrossInstances() async throws {
        let (first, second, _) = try await twoInstances()
        try await first.makeWorkspace("w", credits: Amount(units: 10))
        let id = try await hold(first, "w", multiplier: Amount(units: 10))
        let claim = IdempotencyClaim(key: "commit-1", requestHash: "same")
        let commit = HoldCommit(holdId: id, actual: .actions(Amount(units: 4)))
        let outcomes = try await withThrowingTaskGroup(of: AuthorizeOutcome.self) { group in
            for store in [first, second, first, second] { group.addTask { try await store.commitHold(commit, canAccess: Self.everyone, idempotency: claim) } }
            return try await group.reduce(into: [AuthorizeOutcome]()) { $0.append($1) }
        }
        #expect(Set(outcomes.map(\.body)).count == 1)
        #expect(outcomes.filter { !$0.replayed }.count == 1)
        #expect(try await first.workspace(id: "w").remainingBalance == Amount(micros: 9_600_000))
        await #expect(throws: TributeError.idempotencyKeyReused) {
            _ = try await second.commitHold(commit, canAccess: Self.everyone, idempotency: IdempotencyClaim(key: "commit-1", requestHash: "other"))
        }
        await #expect(throws: TributeError.holdNotFound(id)) {
            _ = try await second.releaseHold(id: id, canAccess: { _ in false }, idempotency: nil)
        }
        _ = try await first.expectLedgerHolds()
    }
}

extension PostgresHoldTests {
    /// Two holds of one budget expire together, settled by one sweep: each gives back the
    /// budget use it reserved.
    @Test func holdsExpiringTogetherGiveBackTheirBudgetUseEach() async throws {
        let (first, second, clock) = try await twoInstances()
        try await first.makeWorkspace("w", credits: Amount(units: 10))
        let scope = BudgetScope(kind: .user, id: "u")
        _ = try await first.putBudget(workspaceId: "w", scope: scope, limit: Amount(units: 5), unit: .credits, period: .lifetime)
        _ = try await hold(first, "w", multiplier: Amount(units: 10), ttlSeconds: 30, userId: "u")
        _ = try await hold(second, "w", multiplier: Amount(units: 10), ttlSeconds: 30, userId: "u")
        #expect(try await first.budgets(workspaceId: "w").first?.budget.used == Amount(units: 2))
        clock.advance(seconds: 30)
        #expect(try await second.expireHolds(limit: 10) == 2)
        #expect(try await first.budgets(workspaceId: "w").first?.budget.used == .zero)
        _ = try await first.expectLedgerHolds()
    }
}
