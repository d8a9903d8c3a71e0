import Foundation
import GRDB
import Testing
import TributeCore
@testable import TributeStore

/// `v5_integer_amounts` rebuilds the amount tables with their type checks: rows and indexes
/// survive it, and a database an earlier version already corrupted stops there.
@Suite struct SQLiteMigrationTests {
    static func databaseBeforeIntegerAmounts() throws -> (DatabaseQueue, DatabaseMigrator) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tribute-migration-\(Identifier.randomBase62(count: 10)).sqlite").path
        let queue = try DatabaseQueue(path: path)
        let migrator = SQLiteMigrations.migrator(nowMillis: 1_700_000_000_000)
        try migrator.migrate(queue, upTo: "v3_dashboard_sessions")
        return (queue, migrator)
    }

    @Test func rowsAndIndexesSurviveTheRebuild() throws {
        let (queue, migrator) = try Self.databaseBeforeIntegerAmounts()
        let indexesBefore = try queue.read { db in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name") }
        let plansBefore = try queue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM plans") }
        try migrator.migrate(queue, upTo: "v5_integer_amounts")
        let indexesAfter = try queue.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND name <> 'idempotency_keys_by_age' ORDER BY name")
        }
        let plansAfter = try queue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM plans") }
        let accounts = try queue.read { db in try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = 'accounts'") }
        let violations = try queue.read { db in try Array(db.foreignKeyViolations()).count }
        #expect(indexesAfter == indexesBefore)
        #expect(plansAfter == plansBefore)
        #expect(accounts?.contains("typeof(balance_micros) = 'integer'") == true)
        #expect(violations == 0)
    }

    /// `v19_grant_terms`: a purchase's grant becomes `paid` at the purchase's price, an
    /// admin's `promotional` at no cost, every priority the default.
    @Test func grantsThatExistGetTheirCategoryFromWhereTheyCameFrom() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tribute-migration-\(Identifier.randomBase62(count: 10)).sqlite").path
        let queue = try DatabaseQueue(path: path)
        let migrator = SQLiteMigrations.migrator(nowMillis: 1_700_000_000_000)
        try migrator.migrate(queue, upTo: "v18_auto_topup")
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO workspaces (id, name, plan_id, status, anchor_date, anchor_day, period_start, period_end, period_used_micros, created_at)
                VALUES ('w', 'W', 'prepaid', 'active', '2026-03-10', 10, 0, 1, 0, 0);
                INSERT INTO credit_grants (id, workspace_id, amount_micros, remaining_micros, note, transaction_id, created_at)
                VALUES ('grant_given', 'w', 1000000, 1000000, 'welcome', 'txn_a', 1), ('grant_bought', 'w', 100000000, 40000000, 'purchase pur_b', 'txn_b', 2);
                INSERT INTO purchases (id, workspace_id, package_id, credits_micros, amount_cents, currency, status, payment_intent_id, refunded_cents,
                    credits_refunded_micros, credits_unrecovered_micros, grant_id, created_at, updated_at)
                VALUES ('pur_b', 'w', 'starter', 100000000, 1000, 'usd', 'succeeded', 'pi_b', 0, 0, 0, 'grant_bought', 2, 2);
                """)
        }
        try migrator.migrate(queue)
        let rows = try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT id, category, cost_basis_cents, priority, effective_at FROM credit_grants ORDER BY id")
        }
        #expect(rows.map { $0["id"] as String } == ["grant_bought", "grant_given"])
        #expect(rows.map { $0["category"] as String } == ["paid", "promotional"])
        #expect(rows.map { $0["cost_basis_cents"] as Int64 } == [1_000, 0])
        #expect(rows.map { $0["priority"] as Int64 } == [50, 50])
        #expect(rows.allSatisfy { ($0["effective_at"] as Int64?) == nil })
        let index = try queue.read { db in try String.fetchOne(db, sql: "SELECT name FROM sqlite_master WHERE name = 'credit_grants_by_workspace'") }
        #expect(index == "credit_grants_by_workspace")
    }

    @Test func aFloatStoredByAnEarlierVersionStopsTheMigration() throws {
        let (queue, migrator) = try Self.databaseBeforeIntegerAmounts()
        try queue.write { db in try db.execute(sql: "UPDATE accounts SET balance_micros = 1e19 WHERE id = 'system:grants'") }
        #expect(throws: DatabaseError.self) { try migrator.migrate(queue) }
        // Nothing of the migration stays: the float is still there for an operator to fix.
        let type = try queue.read { db in try String.fetchOne(db, sql: "SELECT typeof(balance_micros) FROM accounts WHERE id = 'system:grants'") }
        let applied = try queue.read { db in try migrator.appliedMigrations(db) }
        #expect(type == "real")
        #expect(!applied.contains("v5_integer_amounts"))
    }

    /// `v6_workspace_chains` on a database whose decisions were one chain over every
    /// workspace: they stay as written and verify as that chain, each workspace's chain goes
    /// on from its newest one, and a decision removed from the old part is still caught.
    @Test func decisionsOfTheOneOldChainVerifyAfterChainsBecomePerWorkspace() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tribute-chains-\(Identifier.randomBase62(count: 10)).sqlite").path
        let queue = try DatabaseQueue(path: path)
        try SQLiteMigrations.migrator(nowMillis: 1_700_000_000_000).migrate(queue, upTo: "v5_integer_amounts")
        try await queue.write { db in
            for id in ["a", "b"] {
                try db.execute(sql: """
                    INSERT INTO workspaces (id, name, plan_id, status, anchor_date, anchor_day, period_start, period_end, period_used_micros, created_at)
                    VALUES (?, ?, 'prepaid', 'active', '2023-11-14', 14, 1699920000, 1702512000, 0, 1700000000000)
                    """, arguments: [id, id])
                for kind in [AccountKind.wallet, .allowance] {
                    try db.execute(sql: "INSERT INTO accounts (id, workspace_id, kind, unit, allows_negative, balance_micros) VALUES (?, ?, ?, ?, 0, 0)",
                                   arguments: [AccountRef(kind: kind, workspaceId: id).description, id, kind.rawValue, kind.unit.rawValue])
                }
            }
            // Denied calls, as the earlier version chained them: one chain over both workspaces.
            var previous = DecisionRecord.genesisHash
            for index in 0..<6 {
                let record = DecisionRecord(
                    id: "dec_old\(index)", workspaceId: index % 2 == 0 ? "a" : "b", createdAtMillis: 1_700_000_000_000 + Int64(index), actionType: "SIMPLE_LLM",
                    reason: .insufficientBalance, actionsCharged: .zero, fromAllowance: .zero, creditsDebited: .zero, userId: nil, agentId: nil, runId: nil,
                    costVersion: 1, context: nil, transactionId: nil)
                let hash = record.chainHash(previous: previous)
                try db.execute(sql: """
                    INSERT INTO decisions (id, workspace_id, created_at, action_type, success, reason, actions_charged_micros, from_allowance_micros,
                        debit_micros, cost_version, prev_hash, hash) VALUES (?, ?, ?, 'SIMPLE_LLM', 0, 'INSUFFICIENT_BALANCE', 0, 0, 0, 1, ?, ?)
                    """, arguments: [record.id, record.workspaceId, record.createdAtMillis, previous, hash])
                previous = hash
            }
        }
        try queue.close()

        let store = try SQLiteStore(path: path)
        #expect(try await store.verifyLedger().violation == nil)
        _ = try await store.grantCredits(workspaceId: "a", grant: CreditGrantDraft(amount: Amount(units: 1), expiresAt: nil, note: nil))
        for id in ["a", "b", "a"] { _ = try await store.authorize(AuthorizeRequest(workspaceId: id, actionType: "SIMPLE_LLM"), idempotency: nil) }
        #expect(try await store.verifyLedger().violation == nil)
        let checkpoint = try await store.recordCheckpoint()
        #expect(try await store.verifyLedger(checkpoints: [checkpoint.digest]).violation == nil)

        try await store.executeUnchecked(sql: "DELETE FROM decisions WHERE id = 'dec_old2'")
        #expect(try await store.verifyLedger().violation?.rule == .chainBroken)
    }

    /// `v12_checks_without_in_lists`: the decisions' and holds' checks hold no IN list (a
    /// temporary index per insert in SQLite), refuse the same values as before, and the
    /// rows written before the rewrite are all still there.
    @Test func theHotChecksAreEqualitiesAndStillRefuseWhatTheyRefused() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tribute-migration-\(Identifier.randomBase62(count: 10)).sqlite").path
        let queue = try DatabaseQueue(path: path)
        let migrator = SQLiteMigrations.migrator(nowMillis: 1_700_000_000_000)
        try migrator.migrate(queue, upTo: "v11_plan_allowance_changed_at")
        let insert = """
            INSERT INTO decisions (id, workspace_id, created_at, action_type, success, reason, actions_charged_micros, from_allowance_micros,
                debit_micros, cost_version, prev_hash, hash, kind) VALUES (?, 'w', 0, 'T', 1, 'APPROVED', 0, 0, 0, 1, '', '', ?)
            """
        try queue.write { db in try db.execute(sql: insert, arguments: ["dec_before", "hold"]) }
        // Up to the last migration that names a decision's workspace by its id.
        try migrator.migrate(queue, upTo: "v14_decisions_carry_transfers")
        let schema = try queue.read { db in
            try String.fetchAll(db, sql: "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name IN ('decisions', 'holds') ORDER BY name")
        }
        #expect(schema.count == 2)
        for sql in schema { #expect(!sql.contains(" IN ('"), "\(sql)") }
        #expect(schema[0].contains("kind = 'call' OR kind = 'hold' OR kind = 'commit' OR kind = 'release' OR kind = 'expiry'"))
        #expect(schema[1].contains("status = 'open' OR status = 'committed' OR status = 'released' OR status = 'expired'"))
        try queue.write { db in try db.execute(sql: insert, arguments: ["dec_after", "expiry"]) }
        #expect(throws: DatabaseError.self) { try queue.write { db in try db.execute(sql: insert, arguments: ["dec_bad", "refund"]) } }
        let ids = try queue.read { db in try String.fetchAll(db, sql: "SELECT id FROM decisions ORDER BY id") }
        #expect(ids == ["dec_after", "dec_before"])
        #expect(try queue.read { db in try String.fetchOne(db, sql: "PRAGMA integrity_check") } == "ok")
    }
}
