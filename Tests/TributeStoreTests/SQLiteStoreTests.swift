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

    @Test(arguments: [
        "UPDATE decisions SET debit_micros = debit_micros + 1 WHERE seq = 2",
        "UPDATE decisions SET user_id = 'mallory' WHERE seq = 1",
        "UPDATE accounts SET balance_micros = balance_micros + 5 WHERE id = 'workspace:w:wallet'",
        "UPDATE postings SET amount_micros = amount_micros - 1 WHERE rowid = (SELECT MAX(rowid) FROM postings)",
        "DELETE FROM decisions WHERE seq = 1",
        "UPDATE decisions SET success = 0 WHERE seq = 3",
    ])
    func ledgerVerifyDetectsAnEditedRow(tamper: String) async throws {
        let store = try Backend.makeSQLiteStore()
        try await store.makeWorkspace("w", credits: Amount(units: 5))
        for _ in 0..<3 { _ = try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM", userId: "u"), idempotency: nil) }
        _ = try await store.expectLedgerHolds()
        try await store.executeUnchecked(sql: tamper)
        #expect(try await store.verifyLedger().firstViolation != nil)
    }

    @Test func theSchemaRefusesAnOverdraftEvenIfCodeTriedOne() async throws {
        let store = try Backend.makeSQLiteStore()
        try await store.makeWorkspace("w", credits: Amount(units: 1))
        await #expect(throws: (any Error).self) {
            try await store.executeUnchecked(sql: "UPDATE accounts SET balance_micros = -1 WHERE id = 'workspace:w:wallet'")
        }
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
