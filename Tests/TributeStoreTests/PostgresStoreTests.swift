import Foundation
import Testing
import TributeCore
import TributeStore
import TributeTestSupport

/// What only PostgreSQL has: several instances on one database, and its own schema.
@Suite struct PostgresStoreTests {
    /// What only PostgreSQL's schema allows (the shared tamper table is
    /// `TamperConformanceTests`): sharded system balances, and no foreign keys on the
    /// append-only tables (migration v3).
    @Test(arguments: [
        ("UPDATE system_balance_shards SET balance_micros = balance_micros + 1 WHERE account_id = 'system:revenue'", LedgerRule.balanceMismatch),
        ("UPDATE transactions SET workspace_id = 'ghost' WHERE id = (SELECT MAX(id) FROM transactions)", LedgerRule.danglingReference),
    ])
    func ledgerVerifyNamesTheRuleOfAPostgresOnlyTamper(tamper: String, rule: LedgerRule) async throws {
        let store = try await Backend.makePostgresStore()
        try await store.makeWorkspace("w", credits: Amount(units: 5))
        for _ in 0..<3 { _ = try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM", userId: "u"), idempotency: nil) }
        _ = try await store.expectLedgerHolds()
        try await store.executeUnchecked(sql: tamper)
        #expect(try await store.verifyLedger().violation?.rule == rule)
    }

    @Test func theSchemaRefusesAnOverdraftEvenIfCodeTriedOne() async throws {
        let store = try await Backend.makePostgresStore()
        try await store.makeWorkspace("w", credits: Amount(units: 1))
        await #expect(throws: (any Error).self) {
            try await store.executeUnchecked(sql: "UPDATE accounts SET balance_micros = -1 WHERE id = 'workspace:w:wallet'")
        }
    }

    /// Two instances on one database, 2,000 concurrent calls split between them, money for
    /// exactly 150 (15 credits at 0.1 each on the prepaid plan): exactly 150 approved, and
    /// the ledger holds.
    @Test func twoInstancesNeverOverdrawOneWallet() async throws {
        let clock = ManualClock(millis: Backend.testClockStart)
        let first = try await Backend.makePostgresStore(clock: clock)
        let second = try PostgresStore(url: first.url, clock: clock, timeoutSeconds: Backend.postgresTimeoutSeconds)
        await second.start()
        try await first.makeWorkspace("w", credits: Amount(units: 15))
        let approved = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<2_000 {
                let store: PostgresStore = index % 2 == 0 ? first : second
                group.addTask { try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM"), idempotency: nil).approved }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(approved == 150)
        #expect(try await second.workspace(id: "w").remainingBalance == .zero)
        _ = try await first.expectLedgerHolds()
    }

    /// One idempotency key sent 50 times to each of two instances at once: one debit, and
    /// every answer the same.
    @Test func twoInstancesApplyOneKeyOnce() async throws {
        let clock = ManualClock(millis: Backend.testClockStart)
        let first = try await Backend.makePostgresStore(clock: clock)
        let second = try PostgresStore(url: first.url, clock: clock, timeoutSeconds: Backend.postgresTimeoutSeconds)
        await second.start()
        try await first.makeWorkspace("w", credits: Amount(units: 10))
        let request = AuthorizeRequest(workspaceId: "w", actionType: "COMPLEX_LLM")
        let claim = IdempotencyClaim(key: "k-1", requestHash: "same-request")
        let bodies = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<100 {
                let store: PostgresStore = index % 2 == 0 ? first : second
                group.addTask { try await store.authorize(request, idempotency: claim).body }
            }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(bodies.count == 1)
        let debited = try #require(bodies.first.flatMap { amountField($0, "debitAmount") })
        #expect(!debited.isZero)
        #expect(try await first.workspace(id: "w").remainingBalance == Amount(units: 10) - debited)
        let report = try await first.expectLedgerHolds()
        #expect(report.decisions == 1)
    }
}
