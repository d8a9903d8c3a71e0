import Foundation
import GRDB
import Testing
import TributeCore
@testable import TributeStore
import TributeTestSupport

/// Holds on SQLite's hot path: what the writer keeps in memory between jobs reaches the
/// file at the end of each batch, survives a restart, and never lets two jobs hold the same
/// credit.
@Suite struct SQLiteHoldTests {
    static let everyone: @Sendable (String) -> Bool = { _ in true }

    /// Holds `multiplier` × SIMPLE_LLM: 0.1 credit per unit on the prepaid plan.
    static func hold(_ store: SQLiteStore, multiplier: Amount, ttlSeconds: Int64 = 300) async throws -> (outcome: AuthorizeOutcome, holdId: String?) {
        let outcome = try await store.hold(
            HoldRequest(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM", costMultiplier: multiplier), ttlSeconds: ttlSeconds), idempotency: nil)
        return (outcome, field(outcome.body, "holdId")?.stringValue)
    }

    @Test func aHoldThenItsCommitLeaveACleanLedger() async throws {
        let store = try Backend.makeSQLiteStore()
        try await store.makeWorkspace("w", credits: Amount(units: 10))
        guard let holdId = try await Self.hold(store, multiplier: Amount(units: 20)).holdId else { Issue.record("no hold"); return }
        _ = try await store.expectLedgerHolds()
        let committed = try await store.commitHold(HoldCommit(holdId: holdId, actual: .actions(Amount(units: 5))), canAccess: Self.everyone, idempotency: nil)
        #expect(amountField(committed.body, "debitAmount") == Amount(micros: 500_000))
        let view = try await store.workspace(id: "w")
        #expect(view.remainingBalance == Amount(micros: 9_500_000) && view.heldAmount == .zero)
        #expect(try await store.hold(id: holdId, canAccess: Self.everyone).status == .committed)
        _ = try await store.expectLedgerHolds()
    }

    /// A hold's rows and the workspace's soonest hold expiry are in the file, not only in
    /// the writer's memory: a new process finds the hold and lets it expire.
    @Test func aHoldSurvivesARestartAndExpiresAfterIt() async throws {
        let clock = ManualClock(millis: Backend.testClockStart)
        let path: String
        let holdId: String
        do {
            let store = try Backend.makeSQLiteStore(clock: clock)
            path = store.path
            try await store.makeWorkspace("w", credits: Amount(units: 1))
            guard let id = try await Self.hold(store, multiplier: Amount(units: 10), ttlSeconds: 60).holdId else { Issue.record("no hold"); return }
            holdId = id
        }
        let reopened = try SQLiteStore(path: path, clock: clock)
        let hold = try await reopened.hold(id: holdId, canAccess: Self.everyone)
        #expect(hold.status == .open && hold.heldCredits == Amount(units: 1))
        #expect(try await reopened.workspace(id: "w").heldAmount == Amount(units: 1))
        #expect(try await reopened.expireHolds(limit: 10) == 0)
        clock.advance(seconds: 61)
        #expect(try await reopened.hold(id: holdId, canAccess: Self.everyone).status == .expired)
        #expect(try await reopened.expireHolds(limit: 10) == 1)
        #expect(try await reopened.holds(workspaceId: "w", status: .expired, limit: 10, cursor: nil).items.map(\.id) == [holdId])
        let view = try await reopened.workspace(id: "w")
        #expect(view.remainingBalance == Amount(units: 1) && view.heldAmount == .zero)
        _ = try await reopened.expectLedgerHolds()
    }

    /// No sweeper runs here: the call itself settles the expired hold before it is priced,
    /// and the settlement is written with the call.
    @Test func aCallAfterAHoldsExpiryUsesItsCredits() async throws {
        let (store, clock) = try await Backend.sqlite.makeStore()
        try await store.makeWorkspace("w", credits: Amount(units: 1))
        let request = HoldRequest(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM", costMultiplier: Amount(units: 10)), ttlSeconds: 30)
        guard let holdId = field(try await store.hold(request, idempotency: nil).body, "holdId")?.stringValue else { Issue.record("no hold"); return }
        let call = AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM", costMultiplier: Amount(units: 10))
        #expect(try await store.authorize(call, idempotency: nil).approved == false)
        clock.advance(seconds: 30)
        #expect(try await store.authorize(call, idempotency: nil).approved)
        #expect(try await store.holds(workspaceId: "w", status: .expired, limit: 10, cursor: nil).items.map(\.id) == [holdId])
        #expect(try await store.expireHolds(limit: 10) == 0)
        let view = try await store.workspace(id: "w")
        #expect(view.remainingBalance == .zero && view.heldAmount == .zero)
        _ = try await store.expectLedgerHolds()
    }

    @Test func aCommitWithAKeyIsChargedOnceAndReplayedAfterARestart() async throws {
        let clock = ManualClock(millis: Backend.testClockStart)
        let store = try Backend.makeSQLiteStore(clock: clock)
        try await store.makeWorkspace("w", credits: Amount(units: 10))
        guard let holdId = try await Self.hold(store, multiplier: Amount(units: 20)).holdId else { Issue.record("no hold"); return }
        let claim = IdempotencyClaim(key: "commit-1", requestHash: "a")
        let commit = HoldCommit(holdId: holdId, actual: .actions(Amount(units: 10)))
        let first = try await store.commitHold(commit, canAccess: Self.everyone, idempotency: claim)
        let again = try await store.commitHold(commit, canAccess: Self.everyone, idempotency: claim)
        #expect(!first.replayed && again.replayed && again.body == first.body)
        await #expect(throws: TributeError.idempotencyKeyReused) {
            try await store.commitHold(commit, canAccess: Self.everyone, idempotency: IdempotencyClaim(key: "commit-1", requestHash: "b"))
        }
        let reopened = try SQLiteStore(path: store.path, clock: clock)
        let afterRestart = try await reopened.commitHold(commit, canAccess: Self.everyone, idempotency: claim)
        #expect(afterRestart.replayed && afterRestart.body == first.body)
        #expect(try await reopened.workspace(id: "w").remainingBalance == Amount(units: 9))
        _ = try await reopened.expectLedgerHolds()
    }

    /// Every hold of a batch sees the holds before it through the writer's cache.
    @Test func fiveHundredConcurrentHoldsOfOneCreditOnAHundredHoldExactlyAHundred() async throws {
        let store = try Backend.makeSQLiteStore()
        try await store.makeWorkspace("w", credits: Amount(units: 100))
        let approved = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<500 { group.addTask { try await Self.hold(store, multiplier: Amount(units: 10)).outcome.approved } }
            var count = 0
            for try await isApproved in group where isApproved { count += 1 }
            return count
        }
        #expect(approved == 100)
        let view = try await store.workspace(id: "w")
        #expect(view.remainingBalance == .zero && view.heldAmount == Amount(units: 100))
        #expect(try await store.holds(workspaceId: "w", status: .open, limit: 500, cursor: nil).items.count == 100)
        _ = try await store.expectLedgerHolds()
    }

    /// Credits go back to the grant they came from even once the writer's cache has dropped
    /// it as used up.
    @Test func aReleaseGivesCreditsBackToAGrantTheHoldUsedUp() async throws {
        let store = try Backend.makeSQLiteStore()
        try await store.makeWorkspace("w", credits: Amount(units: 1))
        _ = try await store.grantCredits(workspaceId: "w", grant: CreditGrantDraft(amount: Amount(units: 2), expiresAt: nil, note: nil))
        guard let holdId = try await Self.hold(store, multiplier: Amount(units: 15)).holdId else { Issue.record("no hold"); return }
        _ = try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM", costMultiplier: Amount(units: 15)), idempotency: nil)
        _ = try await store.releaseHold(id: holdId, canAccess: Self.everyone, idempotency: nil)
        #expect(try await store.workspace(id: "w").remainingBalance == Amount(micros: 1_500_000))
        _ = try await store.expectLedgerHolds()
    }

    @Test func commitsAndReleasesRacingInOneBatchKeepTheLedger() async throws {
        let store = try Backend.makeSQLiteStore()
        try await store.makeWorkspace("w", credits: Amount(units: 50))
        let ids = try await withThrowingTaskGroup(of: String?.self) { group in
            for _ in 0..<40 { group.addTask { try await Self.hold(store, multiplier: Amount(units: 10)).holdId } }
            var ids: [String] = []
            for try await id in group { if let id { ids.append(id) } }
            return ids
        }
        #expect(ids.count == 40)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, id) in ids.enumerated() {
                group.addTask {
                    switch index % 3 {
                    case 0: _ = try await store.commitHold(HoldCommit(holdId: id, actual: nil), canAccess: Self.everyone, idempotency: nil)
                    case 1: _ = try await store.releaseHold(id: id, canAccess: Self.everyone, idempotency: nil)
                    default: _ = try await store.extendHold(id: id, ttlSeconds: 600, canAccess: Self.everyone)
                    }
                    _ = try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM"), idempotency: nil)
                }
            }
            try await group.waitForAll()
        }
        let view = try await store.workspace(id: "w")
        // 14 committed (1 credit each), 13 released, 13 extended and still held, 40 calls of
        // 0.1 from the 10 credits never held.
        #expect(view.heldAmount == Amount(units: 13))
        #expect(view.remainingBalance == Amount(units: 50 - 14 - 13 - 4))
        _ = try await store.expectLedgerHolds()
    }

    /// Two holds of one budget expire in one sweep: each gives back the use it reserved.
    @Test func holdsExpiringTogetherGiveBackTheirBudgetUseEach() async throws {
        let (store, clock) = try await Backend.sqlite.makeStore()
        try await store.makeWorkspace("w", credits: Amount(units: 10))
        let scope = BudgetScope(kind: .user, id: "u")
        _ = try await store.putBudget(workspaceId: "w", scope: scope, limit: Amount(units: 5), unit: .credits, period: .lifetime)
        let request = HoldRequest(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM", userId: "u", costMultiplier: Amount(units: 10)), ttlSeconds: 30)
        for _ in 0..<2 { #expect(try await store.hold(request, idempotency: nil).approved) }
        #expect(try await store.budgets(workspaceId: "w").first?.budget.used == Amount(units: 2))
        clock.advance(seconds: 30)
        #expect(try await store.expireHolds(limit: 10) == 2)
        #expect(try await store.budgets(workspaceId: "w").first?.budget.used == .zero)
        _ = try await store.expectLedgerHolds()
    }

    /// `v8_holds` gives workspaces made before holds their two hold accounts, empty.
    @Test func theMigrationGivesEarlierWorkspacesTheirHoldAccounts() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tribute-holds-\(Identifier.randomBase62(count: 10)).sqlite").path
        let queue = try DatabaseQueue(path: path)
        let migrator = SQLiteMigrations.migrator(nowMillis: 1_700_000_000_000)
        try migrator.migrate(queue, upTo: "v7_decision_kinds")
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO workspaces (id, name, plan_id, status, anchor_date, anchor_day, period_start, period_end, period_used_micros, created_at)
                VALUES ('old', 'old', 'prepaid', 'active', '2023-11-14', 14, 1699920000, 1702512000, 0, 1700000000000)
                """)
        }
        try migrator.migrate(queue)
        let accounts = try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT id, unit, allows_negative, balance_micros FROM accounts WHERE workspace_id = 'old' ORDER BY id")
                .map { "\($0[0] as String) \($0[1] as String) \($0[2] as Int64) \($0[3] as Int64)" }
        }
        #expect(accounts == ["workspace:old:held_allowance actions 0 0", "workspace:old:held_credits credits 0 0"])
        let nextHoldExpiry = try queue.read { db in try Row.fetchOne(db, sql: "SELECT next_hold_expiry_at FROM workspaces WHERE id = 'old'")?[0] as Int64? }
        #expect(nextHoldExpiry == nil)
    }
}
