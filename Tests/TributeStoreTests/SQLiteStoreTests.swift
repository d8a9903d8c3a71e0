import GRDB
import Testing
import TributeCore
import TributeStore
import TributeTestSupport

@Suite struct SQLiteStoreTests {
    @Test func theWriterCommitsWithSynchronousFullInWAL() async throws {
        let store = try Backend.makeSQLiteStore()
        #expect(try await store.writerSynchronousLevel() == 2)
        #expect(try await store.journalMode() == "wal")
    }

    /// A database restored from a copy taken before a checkpoint is consistent, so plain
    /// verify passes; the checkpoint's digest, kept elsewhere, catches it.
    @Test func aCheckpointCatchesADatabaseRestoredFromAnOlderCopy() async throws {
        let store = try Backend.makeSQLiteStore()
        try await store.makeWorkspace("w", credits: Amount(units: 5))
        _ = try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM"), idempotency: nil)
        let first = try await store.recordCheckpoint()
        let copy = store.path + ".older"
        try DatabaseQueue(path: store.path).inDatabase { db in try db.execute(sql: "VACUUM INTO '\(copy)'") }
        for _ in 0..<3 { _ = try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM"), idempotency: nil) }
        let second = try await store.recordCheckpoint()
        #expect(try await store.verifyLedger(checkpoints: [first.digest, second.digest]).violation == nil)

        let restored = try SQLiteStore(path: copy)
        #expect(try await restored.verifyLedger().violation == nil)
        #expect(try await restored.verifyLedger(checkpoints: [first.digest]).violation == nil)
        #expect(try await restored.verifyLedger(checkpoints: [second.digest]).violation?.rule == .checkpointMissing)
    }

    @Test func theSchemaRefusesAnOverdraftEvenIfCodeTriedOne() async throws {
        let store = try Backend.makeSQLiteStore()
        try await store.makeWorkspace("w", credits: Amount(units: 1))
        await #expect(throws: (any Error).self) {
            try await store.executeUnchecked(sql: "UPDATE accounts SET balance_micros = -1 WHERE id = 'workspace:w:wallet'")
        }
    }

    /// SQLite turns an integer sum past Int64 into a float; the schema refuses to store one
    /// in any amount column, so a stored amount always reads back exact.
    @Test(arguments: [
        "UPDATE accounts SET balance_micros = balance_micros + 9223372036854775807 WHERE id = 'system:grants' OR id = 'workspace:w:wallet'",
        "UPDATE accounts SET balance_micros = 1e19 WHERE id = 'system:revenue'",
        "UPDATE accounts SET balance_micros = 0.5 WHERE id = 'system:revenue'",
        "UPDATE postings SET amount_micros = '12 credits' WHERE rowid = 1",
        "UPDATE credit_grants SET remaining_micros = 1.5",
        "UPDATE budgets SET used_micros = 2.5",
        "UPDATE decisions SET debit_micros = 1e300",
        "UPDATE workspaces SET low_balance_threshold_micros = 'x'",
        "UPDATE plans SET overage_rate_micros = 0.1",
    ])
    func theSchemaRefusesAmountsThatAreNotIntegers(statement: String) async throws {
        let store = try Backend.makeSQLiteStore()
        try await store.makeWorkspace("w", credits: Amount(units: 1))
        _ = try await store.putBudget(workspaceId: "w", scope: BudgetScope(kind: .user, id: "u"), limit: Amount(units: 5), unit: .actions, period: .month)
        _ = try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM", userId: "u"), idempotency: nil)
        await #expect(throws: (any Error).self) { try await store.executeUnchecked(sql: statement) }
        _ = try await store.expectLedgerHolds()
    }

    /// A row no code wrote (a hand edit, a bad restore) is a thrown error, answered 500,
    /// never a trap that ends the server.
    @Test(arguments: [
        ("UPDATE decisions SET created_at = 'yesterday'", "decisions"),
        ("UPDATE workspaces SET created_at = 'never'", "workspace"),
        ("UPDATE transactions SET created_at = x'00'", "transactions"),
        ("UPDATE credit_packages SET name = x'ff' WHERE id = 'starter'", "packages"),
    ])
    func rowsThatDoNotDecodeThrowInsteadOfTrapping(tamper: String, read: String) async throws {
        let store = try Backend.makeSQLiteStore()
        try await store.makeWorkspace("w", credits: Amount(units: 1))
        _ = try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM"), idempotency: nil)
        // Columns without a type CHECK, written around the store.
        try await store.executeUnchecked(sql: tamper)
        await #expect(throws: (any Error).self) {
            switch read {
            case "decisions": _ = try await store.decisions(workspaceId: "w", limit: 10, cursor: nil, approved: nil)
            case "workspace": _ = try await store.workspaces(limit: 10, cursor: nil)
            case "transactions": _ = try await store.transactions(workspaceId: "w", limit: 10, cursor: nil)
            default: _ = try await store.creditPackages()
            }
        }
    }

    /// Callers that send a fresh run, user and agent id on every call leave nothing behind
    /// in the writer's budget cache: it holds only budgets that exist.
    @Test func freshScopeIdsCostTheBudgetCacheNothing() async throws {
        let store = try Backend.makeSQLiteStore()
        try await store.makeWorkspace("w", credits: Amount(units: 1000))
        _ = try await store.putBudget(workspaceId: "w", scope: BudgetScope(kind: .agent, id: "known"), limit: Amount(units: 1000), unit: .actions, period: .month)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<2_000 {
                group.addTask {
                    _ = try await store.authorize(
                        AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM", userId: "u\(index)", agentId: index % 2 == 0 ? "known" : "a\(index)", runId: "r\(index)"),
                        idempotency: nil)
                }
            }
            try await group.waitForAll()
        }
        #expect(try await store.cachedBudgetCount() == 1)
        #expect(try await store.budgets(workspaceId: "w").first?.budget.used == Amount(units: 1000))
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
