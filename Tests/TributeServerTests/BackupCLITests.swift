import Foundation
import Testing
import TributeCore
import TributeStore

/// `tribute backup PATH` on the real binary, while another process debits the same file.
@Suite struct BackupCLITests {
    @Test(.timeLimit(.minutes(2)))
    func theBinaryCopiesALiveDatabaseThatVerifies() async throws {
        let binary = try TributeProcess.binary()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tribute-backup-cli-" + Identifier.randomBase62(count: 8)).path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/live.sqlite"
        let store = try SQLiteStore(path: path)
        _ = try await store.createWorkspace(WorkspaceDraft(id: "w", name: "w", planId: "prepaid", anchorDate: nil))
        _ = try await store.grantCredits(workspaceId: "w", grant: CreditGrantDraft(amount: Amount(units: 1_000), expiresAt: nil, note: nil))
        let request = AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM")
        _ = try await store.authorize(request, idempotency: nil)

        let load = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 {
                    group.addTask { for _ in 0..<200 { _ = try await store.authorize(request, idempotency: nil) } }
                }
                try await group.waitForAll()
            }
        }
        let backup = try await TributeProcess.runBounded(binary, ["backup", dir + "/copy.sqlite", "--database", "sqlite:" + path], seconds: 60)
        try await load.value
        #expect(backup.status == 0, "\(backup.output)")
        #expect(backup.output.contains("backup: \(dir)/copy.sqlite"), "\(backup.output)")
        let verified = try await TributeProcess.runBounded(binary, ["ledger", "verify", "--database", "sqlite:" + dir + "/copy.sqlite"], seconds: 60)
        #expect(verified.status == 0, "\(verified.output)")

        let again = try await TributeProcess.runBounded(binary, ["backup", dir + "/copy.sqlite", "--database", "sqlite:" + path], seconds: 60)
        #expect(again.status == 1)
        #expect(again.output.contains("exists"), "\(again.output)")
        #expect(!again.output.contains("Usage"), "\(again.output)")
        let postgres = try await TributeProcess.runBounded(binary, ["backup", dir + "/pg.sqlite", "--database", "postgres://u@127.0.0.1:1/db"], seconds: 60)
        #expect(postgres.status != 0)
        #expect(postgres.output.contains("pg_dump"), "\(postgres.output)")
        let missing = try await TributeProcess.runBounded(binary, ["backup", dir + "/none-copy.sqlite", "--database", "sqlite:" + dir + "/none.sqlite"], seconds: 60)
        #expect(missing.status != 0)
        #expect(!FileManager.default.fileExists(atPath: dir + "/none.sqlite"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/none-copy.sqlite"))
    }
}
