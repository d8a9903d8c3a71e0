import GRDB
import Testing
import TributeCore
@testable import TributeStore
import TributeTestSupport

/// `openHoldCount` (the `tribute_holds_open` gauge) on every backend: holds that are open and
/// not past their expiry, whatever has been swept.
@Suite struct OpenHoldCountConformanceTests {
    @Test(arguments: Backend.allCases)
    func onlyHoldsStillOpenAtTheClockAreCounted(backend: Backend) async throws {
        let (store, clock) = try await backend.makeStore()
        try await store.makeWorkspace("w", credits: Amount(units: 10))
        #expect(try await store.openHoldCount() == 0)
        var holdIds: [String] = []
        for ttlSeconds: Int64 in [60, 60, 600] {
            let request = HoldRequest(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM", costMultiplier: .one), ttlSeconds: ttlSeconds)
            let outcome = try await store.hold(request, idempotency: nil)
            holdIds.append(try #require(field(outcome.body, "holdId")?.stringValue))
        }
        #expect(try await store.openHoldCount() == 3)
        _ = try await store.commitHold(HoldCommit(holdId: holdIds[0], actual: nil, final: true), canAccess: { _ in true }, idempotency: nil)
        #expect(try await store.openHoldCount() == 2)
        // Past the 60 s holds' expiry: only the 600 s one is open, before and after the sweep.
        clock.advance(seconds: 61)
        #expect(try await store.openHoldCount() == 1)
        _ = try await store.expireHolds(limit: 100)
        #expect(try await store.openHoldCount() == 1)
        // A denied hold holds nothing and is not counted.
        let denied = try await store.hold(HoldRequest(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM", costMultiplier: Amount(units: 1_000)), ttlSeconds: 60), idempotency: nil)
        #expect(!denied.approved)
        #expect(try await store.openHoldCount() == 1)
    }

    @Test func sqliteCountsThroughThePartialIndexOfOpenHolds() throws {
        let store = try Backend.makeSQLiteStore()
        let statement = HoldRows.openCount(nowMillis: 0)
        let plan = try DatabaseQueue(path: store.path).read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + statement.sql, arguments: statement.arguments).map { $0["detail"] as String? ?? "" }
        }
        #expect(plan.contains { $0.contains("holds_open_by_expiry") }, "\(plan)")
    }
}
