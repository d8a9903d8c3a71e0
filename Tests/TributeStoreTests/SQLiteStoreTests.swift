import Testing
import TributeCore
import TributeStore

@Suite struct SQLiteStoreTests {
    @Test func theWriterCommitsWithSynchronousFullInWAL() async throws {
        let (store, _) = try Backend.sqlite.makeStore()
        #expect(try await store.writerSynchronousLevel() == 2)
        #expect(try await store.journalMode() == "wal")
    }

    @Test(arguments: [
        "UPDATE decisions SET debit_micros = debit_micros + 1 WHERE seq = 2",
        "UPDATE decisions SET user_id = 'mallory' WHERE seq = 1",
        "UPDATE accounts SET balance_micros = balance_micros + 5 WHERE id = 'workspace:w:wallet'",
        "UPDATE postings SET amount_micros = amount_micros - 1 WHERE rowid = (SELECT MAX(rowid) FROM postings)",
        "DELETE FROM decisions WHERE seq = 1",
        "UPDATE decisions SET success = 0 WHERE seq = 3",
    ])
    func ledgerVerifyDetectsAnEditedRow(tamper: String) async throws {
        let (store, _) = try Backend.sqlite.makeStore()
        try await store.makeWorkspace("w", credits: Amount(units: 5))
        for _ in 0..<3 { _ = try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM", userId: "u"), idempotency: nil) }
        _ = try await store.expectLedgerHolds()
        try await store.executeUnchecked(sql: tamper)
        #expect(try await store.verifyLedger().firstViolation != nil)
    }

    @Test func theSchemaRefusesAnOverdraftEvenIfCodeTriedOne() async throws {
        let (store, _) = try Backend.sqlite.makeStore()
        try await store.makeWorkspace("w", credits: Amount(units: 1))
        await #expect(throws: (any Error).self) {
            try await store.executeUnchecked(sql: "UPDATE accounts SET balance_micros = -1 WHERE id = 'workspace:w:wallet'")
        }
    }

    /// Random sequences of grants, debits, plan changes and time passing: balances never
    /// negative, every transaction balanced, balances equal to the sum of their postings.
    @Test(arguments: [1, 2, 3, 4, 5, 6])
    func randomOperationSequencesKeepEveryLedgerRule(seed: UInt64) async throws {
        let (store, clock) = try Backend.sqlite.makeStore()
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

/// A small deterministic generator, so that a failing seed can be replayed.
struct SplitMix64 {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func next(below bound: UInt64) -> UInt64 { next() % bound }
}
