import Foundation
import GRDB
import Testing
import TributeCore
import TributeStore

/// SPEC §7's checkpoint commands on the real binary: one line ending with the digest, and a
/// database restored from an older copy caught by `verify --checkpoint`.
@Suite struct CheckpointCLITests {
    @Test(.timeLimit(.minutes(2)))
    func aCheckpointDigestCatchesADatabaseRolledBackToAnOlderCopy() async throws {
        let binary = try TributeProcess.binary()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tribute-checkpoint-" + Identifier.randomBase62(count: 8)).path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/live.sqlite", database = "sqlite:" + path

        let store = try SQLiteStore(path: path)
        _ = try await store.createWorkspace(WorkspaceDraft(id: "w", name: "w", planId: "prepaid", anchorDate: nil))
        _ = try await store.grantCredits(workspaceId: "w", grant: CreditGrantDraft(amount: Amount(units: 5), expiresAt: nil, note: nil))
        _ = try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM"), idempotency: nil)
        // The older copy: the database as it stood before the checkpoint and later debits.
        try DatabaseQueue(path: path).inDatabase { db in try db.execute(sql: "VACUUM INTO '\(dir)/older.sqlite'") }
        for _ in 0..<3 { _ = try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM"), idempotency: nil) }

        let checkpoint = try TributeProcess.run(binary, ["ledger", "checkpoint", "--database", database])
        #expect(checkpoint.status == 0)
        let line = checkpoint.output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!line.contains("\n"))
        let digest = String(line.suffix(64))
        #expect(digest.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }, "\(line)")

        let verified = try TributeProcess.run(binary, ["ledger", "verify", "--checkpoint", digest, "--database", database])
        #expect(verified.status == 0, "\(verified.output)")
        let older = "sqlite:" + dir + "/older.sqlite"
        #expect(try TributeProcess.run(binary, ["ledger", "verify", "--database", older]).status == 0)
        let rolledBack = try TributeProcess.run(binary, ["ledger", "verify", "--checkpoint", digest, "--database", older])
        #expect(rolledBack.status == 1)
        #expect(rolledBack.output.contains("checkpoint_missing"), "\(rolledBack.output)")
        let malformed = try TributeProcess.run(binary, ["ledger", "verify", "--checkpoint", "XYZ", "--database", database])
        #expect(malformed.status != 0 && malformed.status != 1)
    }
}
