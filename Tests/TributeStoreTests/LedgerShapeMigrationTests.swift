import Foundation
import GRDB
import Testing
import TributeCore
@testable import TributeStore
import TributeTestSupport

/// `v14`/`v16_decisions_carry_transfers` on a ledger written in the earlier shape, on every
/// backend: each debit and hold as a decision that names a transaction of its own rows, with
/// its previous hash stored. After the migration the old rows stay as they are and verify,
/// with the checkpoint taken before; new debits are one row each; the ledger lists both in
/// order, and an old charge and a new one are both reversed.
@Suite struct LedgerShapeMigrationTests {
    /// Rewrites every carried transfer of `workspaceIds` as the earlier version wrote it: a
    /// transaction row with its postings, named by the decision, and every previous hash
    /// stored. The transaction id is the one the decision's hash already holds (the derived
    /// one; the earlier version's were random, which changes nothing of the shape), so the
    /// chain and the checkpoints stay what they were.
    static func earlierShape(_ store: any TributeStore, workspaceIds: [String], postgres: Bool) async throws -> [String] {
        func literal(_ text: String?) -> String { text.map { "'" + $0.replacingOccurrences(of: "'", with: "''") + "'" } ?? "NULL" }
        var statements: [String] = []
        for workspaceId in workspaceIds {
            let decisions = try await store.decisions(workspaceId: workspaceId, limit: 1000, cursor: nil, approved: nil).items.reversed()
            for record in decisions {
                guard let transfer = record.carriedTransaction else { continue }
                statements.append("""
                    INSERT INTO transactions (id, workspace_id, kind, decision_id, created_at) VALUES
                    (\(literal(transfer.id)), \(literal(workspaceId)), \(literal(transfer.kind.rawValue)), \(literal(record.id)), \(transfer.atMillis))
                    """)
                for (ordinal, posting) in transfer.postings.enumerated() {
                    statements.append(postgres ? """
                        INSERT INTO postings (transaction_id, ordinal, account_id, unit, amount_micros) VALUES
                        (\(literal(transfer.id)), \(ordinal), \(literal(posting.account.description)), \(literal(posting.unit.rawValue)), \(posting.amount.micros))
                        """ : """
                        INSERT INTO postings (transaction_seq, account_id, unit, amount_micros) VALUES
                        ((SELECT seq FROM transactions WHERE id = \(literal(transfer.id))), \(literal(posting.account.description)), \(literal(posting.unit.rawValue)), \(posting.amount.micros))
                        """)
                }
                statements.append("UPDATE decisions SET transaction_id = \(literal(transfer.id)) WHERE id = \(literal(record.id))")
            }
        }
        let previous = postgres ? DecisionRows.previousHash() : DecisionRows.previousHash(hashText: SQLiteLedger.hashText)
        statements.append("UPDATE decisions SET prev_hash = \(previous.replacingOccurrences(of: "d.", with: "decisions.")) WHERE prev_hash IS NULL")
        // The earlier version stored hashes as text.
        if !postgres { statements.append("UPDATE decisions SET hash = lower(hex(hash)) WHERE typeof(hash) = 'blob'") }
        return statements
    }

    @Test(arguments: Backend.allCases)
    func aLedgerOfTheEarlierShapeMigratesAndVerifiesWithItsCheckpoints(backend: Backend) async throws {
        let clock = ManualClock(millis: Backend.testClockStart)
        let reopen: @Sendable () async throws -> any TributeStore
        let first: any TributeStore
        switch backend {
        case .sqlite:
            let store = try Backend.makeSQLiteStore(clock: clock)
            let path = store.path
            first = store
            reopen = { try SQLiteStore(path: path, clock: clock) }
        case .postgres:
            let url = try await TestPostgres.newDatabase()
            let store = try PostgresStore(url: url, clock: clock, timeoutSeconds: Backend.postgresTimeoutSeconds)
            await store.start()
            try await store.migrate()
            first = store
            reopen = {
                let store = try PostgresStore(url: url, clock: clock, timeoutSeconds: Backend.postgresTimeoutSeconds)
                await store.start()
                try await store.migrate()
                return store
            }
        }
        // The history: debits from credits and from allowance, a denial, a hold committed.
        try await first.makeWorkspace("w", credits: Amount(units: 5))
        try await first.makeWorkspace("f", plan: "free")
        for id in ["w", "f", "w"] {
            clock.advance(seconds: 1)
            #expect(try await first.authorize(AuthorizeRequest(workspaceId: id, actionType: "SIMPLE_LLM"), idempotency: nil).approved)
        }
        #expect(try await !first.authorize(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM", costMultiplier: Amount(units: 1000)), idempotency: nil).approved)
        let (held, holdId) = try await HoldConformanceTests.hold(first, multiplier: Amount(units: 3))
        #expect(held.approved)
        _ = try await HoldConformanceTests.commit(first, try #require(holdId), .actions(Amount(units: 2)))
        let oldCharge = try #require(try await first.transactions(workspaceId: "w", limit: 10, cursor: nil).items.first { $0.kind == "debit" }?.id)
        let checkpoint = try await first.recordCheckpoint()
        let before = try await first.expectLedgerHolds()

        // Back to the earlier shape, and to the schema before the migration.
        switch first {
        case let store as SQLiteStore:
            let statements = try await Self.earlierShape(store, workspaceIds: ["w", "f"], postgres: false) + [
                "DELETE FROM grdb_migrations WHERE identifier = 'v14_decisions_carry_transfers'",
            ]
            try await Tampering.apply(store, sqlite: statements, postgres: "")
            let queue = try DatabaseQueue(path: store.path)
            try await queue.write { db in try SQLiteCheckRewrite.rewrite(db, table: "decisions", ("prev_hash TEXT,", "prev_hash TEXT NOT NULL,")) }
            try queue.close()
        case let store as PostgresStore:
            let statements = try await Self.earlierShape(store, workspaceIds: ["w", "f"], postgres: true) + [
                "DELETE FROM tribute_migrations WHERE name = 'v16_decisions_carry_transfers'",
                "ALTER TABLE decisions ALTER COLUMN prev_hash SET NOT NULL",
                "ALTER TABLE transactions ALTER COLUMN seq SET DEFAULT nextval('transactions_seq_seq'::regclass)",
            ]
            try await store.executeUnchecked(sql: "DO $$ BEGIN " + statements.map { "EXECUTE \(Self.literal($0));" }.joined(separator: " ") + " END $$")
        default:
            Issue.record("unknown backend")
        }

        let store = try await reopen()
        let migrated = try await store.verifyLedger(checkpoints: [checkpoint.digest])
        #expect(migrated.violation == nil, "\(migrated.violation?.description ?? "")")
        #expect(migrated.transactions == before.transactions && migrated.decisions == before.decisions)
        // The old charge is a row of its own; a new one is carried by its decision.
        clock.advance(seconds: 1)
        #expect(try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM"), idempotency: nil).approved)
        let listed = try await store.transactions(workspaceId: "w", limit: 100, cursor: nil).items
        let newCharge = try #require(listed.first)
        #expect(newCharge.kind == "debit" && newCharge.id != oldCharge)
        #expect(listed.contains { $0.id == oldCharge })
        // (The rewrite above numbers the old rows after the rest, so their order here is
        // the rewrite's, not the earlier version's, whose rows all come before the new.)
        #expect(Set(listed.map(\.id)).count == listed.count)
        _ = try await store.reverseTransaction(id: oldCharge, reason: "old shape")
        _ = try await store.reverseTransaction(id: newCharge.id, reason: "new shape")
        let after = try await store.verifyLedger(checkpoints: [checkpoint.digest])
        #expect(after.violation == nil, "\(after.violation?.description ?? "")")
    }

    /// A PostgreSQL string literal.
    static func literal(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }
}
