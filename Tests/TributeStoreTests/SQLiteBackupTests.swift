import Foundation
import GRDB
import Testing
import TributeCore
import TributeStore
import TributeTestSupport

/// `SQLiteStore.backup(toPath:)`: a consistent copy taken while debits run.
@Suite struct SQLiteBackupTests {
    private func directory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tribute-backup-" + Identifier.randomBase62(count: 8)).path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// 16 callers debit while the copy is taken: the copy opens on its own (no -wal beside
    /// it), its ledger holds, it has some of the debits and not more than the source.
    @Test func aBackupTakenWhileDebitsRunIsAWholeLedger() async throws {
        let dir = try directory()
        let store = try SQLiteStore(path: dir + "/live.sqlite")
        try await store.makeWorkspace("w", credits: Amount(units: 1_000))
        let request = AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM")
        let load = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<16 {
                    group.addTask { for _ in 0..<150 { _ = try await store.authorize(request, idempotency: nil) } }
                }
                try await group.waitForAll()
            }
        }
        // Some debits first, so that the copy lands mid-load.
        while try await store.workspace(id: "w").remainingBalance > Amount(units: 990) { try await Task.sleep(for: .milliseconds(5)) }
        let bytes = try SQLiteStore.backup(databasePath: store.path, toPath: dir + "/copy.sqlite").bytes
        try await load.value
        #expect(bytes > 0)
        #expect(!FileManager.default.fileExists(atPath: dir + "/copy.sqlite-wal"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".partial-") }.isEmpty)

        let copy = try SQLiteStore(path: dir + "/copy.sqlite")
        let copied = try await copy.expectLedgerHolds()
        let live = try await store.expectLedgerHolds()
        #expect(copied.decisions >= 1)
        #expect(copied.decisions <= live.decisions)
        #expect(live.decisions == 16 * 150)
    }

    @Test func aBackupNeverReplacesAFileNorWritesIntoAMissingDirectory() async throws {
        let dir = try directory()
        let store = try SQLiteStore(path: dir + "/live.sqlite")
        try await store.makeWorkspace("w", credits: Amount(units: 1))
        try Data("keep".utf8).write(to: URL(fileURLWithPath: dir + "/taken.sqlite"))
        #expect(throws: BackupFailure.self) { _ = try SQLiteStore.backup(databasePath: store.path, toPath: dir + "/taken.sqlite") }
        #expect(try String(contentsOfFile: dir + "/taken.sqlite", encoding: .utf8) == "keep")
        #expect(throws: BackupFailure.self) { _ = try SQLiteStore.backup(databasePath: store.path, toPath: dir + "/missing/copy.sqlite") }
        #expect(!FileManager.default.fileExists(atPath: dir + "/missing"))
        // A dangling link is something there too, and the live database itself.
        try FileManager.default.createSymbolicLink(atPath: dir + "/dangling.sqlite", withDestinationPath: dir + "/nowhere")
        #expect(throws: BackupFailure.self) { _ = try SQLiteStore.backup(databasePath: store.path, toPath: dir + "/dangling.sqlite") }
        #expect(throws: BackupFailure.self) { _ = try SQLiteStore.backup(databasePath: store.path, toPath: store.path) }
        #expect(throws: BackupFailure.self) { _ = try SQLiteStore.backup(databasePath: store.path, toPath: dir + "/") }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".partial") }.isEmpty)
    }

    /// The source is opened read only: an older schema stays as it is (a new binary may
    /// back up what an older server still runs).
    @Test func aBackupNeitherMigratesNorWritesTheLiveDatabase() async throws {
        let dir = try directory()
        let store = try SQLiteStore(path: dir + "/live.sqlite")
        try await store.makeWorkspace("w", credits: Amount(units: 1))
        try await DatabaseQueue(path: dir + "/live.sqlite").write { db in
            try db.execute(sql: "CREATE TABLE marker (x)")
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = (SELECT MAX(identifier) FROM grdb_migrations)")
        }
        let before = try await DatabaseQueue(path: dir + "/live.sqlite").read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM grdb_migrations") }
        let copy = try SQLiteStore.backup(databasePath: dir + "/live.sqlite", toPath: dir + "/copy.sqlite")
        let after = try await DatabaseQueue(path: dir + "/live.sqlite").read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM grdb_migrations") }
        #expect(before == after)
        let copied = try await DatabaseQueue(path: copy.path).read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM grdb_migrations") }
        #expect(copied == before)
    }
}
