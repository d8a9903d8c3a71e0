import GRDB
import Testing
import TributeCore
@testable import TributeStore
import TributeTestSupport

/// `?outcome=denied` reads a workspace's denials through the partial index of decisions that
/// are no approval, on both backends, instead of passing over every approval.
@Suite struct DeniedDecisionsIndexTests {
    /// 60 approvals, then 3 denials (a call that costs more than the wallet holds), on the
    /// prepaid plan where a `SIMPLE_LLM` costs 0.1 credits.
    static func approvalsThenDenials(_ store: some TributeStore) async throws {
        try await store.makeWorkspace("w", credits: Amount(units: 100))
        for _ in 0..<60 { _ = try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM"), idempotency: nil) }
        for _ in 0..<3 {
            let denied = try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM", costMultiplier: Amount(units: 1_000)), idempotency: nil)
            #expect(!denied.approved)
        }
    }

    @Test(arguments: Backend.allCases)
    func deniedListsOnlyTheDenialsNewestFirstPageByPage(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        try await Self.approvalsThenDenials(store)
        let first = try await store.decisions(workspaceId: "w", limit: 2, cursor: nil, approved: false)
        #expect(first.items.count == 2 && first.items.allSatisfy { $0.reason == .insufficientBalance })
        let rest = try await store.decisions(workspaceId: "w", limit: 2, cursor: try #require(first.nextCursor), approved: false)
        #expect(rest.items.count == 1 && rest.nextCursor == nil)
        #expect(Set((first.items + rest.items).map(\.id)).count == 3)
        #expect(try await store.decisions(workspaceId: "w", limit: 500, cursor: nil, approved: true).items.count == 60)
    }

    @Test func sqliteReadsDenialsThroughTheirPartialIndex() async throws {
        let store = try Backend.makeSQLiteStore()
        try await Self.approvalsThenDenials(store)
        try await store.executeUnchecked(sql: "ANALYZE")
        let statement = DecisionRows.page(workspaceId: "w", beforeSeq: .max, limit: 50, approved: false)
        let plan = try await DatabaseQueue(path: store.path).read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + statement.sql, arguments: statement.arguments).map { $0["detail"] as String? ?? "" }
        }
        #expect(plan.contains { $0.contains("USING INDEX decisions_denied_by_workspace") }, "\(plan)")
    }

    /// With sequential scans off, so that a table this small is still read by an index: the
    /// planner proves the query's condition implies the partial index's and picks it.
    @Test func postgresReadsDenialsThroughTheirPartialIndex() async throws {
        let store = try await Backend.makePostgresStore()
        try await Self.approvalsThenDenials(store)
        try await store.executeUnchecked(sql: "ANALYZE decisions")
        let statement = DecisionRows.page(workspaceId: "w", beforeSeq: .max, limit: 50, approved: false)
        let plan = try await store.transaction { connection in
            try await connection.run(StoreStatement("SET LOCAL enable_seqscan = off"))
            return try await connection.all(StoreStatement("EXPLAIN " + statement.sql, statement.values)) { try $0.text() }
        }
        #expect(plan.contains { $0.contains("decisions_denied_by_workspace") }, "\(plan)")
    }
}
