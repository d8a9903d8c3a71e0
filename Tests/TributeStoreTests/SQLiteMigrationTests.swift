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
        try migrator.migrate(queue)
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
}
