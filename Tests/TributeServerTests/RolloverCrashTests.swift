import Foundation
import HTTPTypes
import Testing
import TributeCore
import TributeStore
import TributeTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A period close is one transaction, idempotent per workspace and period (SPEC §3.9): the
/// real `tribute serve` finds 40 workspaces whose period has ended, its sweeper starts
/// closing them, it is killed with `kill -9` mid-sweep, and after a restart every workspace
/// has carried its rollover exactly once and the ledger verifies. On both backends.
@Suite(.serialized) struct RolloverCrashTests {
    static let workspaces = 40

    @Test(.timeLimit(.minutes(3)), arguments: Backend.allCases)
    func aKillNineAtTheBoundaryClosesEachPeriodOnce(backend: Backend) async throws {
        let binary = try TributeProcess.binary()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tribute-rollover-" + Identifier.randomBase62(count: 8)).path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let database = backend == .sqlite ? "sqlite:\(dir)/rollover.sqlite" : try await TestPostgres.newDatabase()
        let key = try TributeProcess.run(binary, ["keys", "create", "--role", "admin", "--database", database]).output.trimmingCharacters(in: .whitespacesAndNewlines)

        var server = try await TributeProcess.serve(binary, database: database, log: dir + "/serve-1.log")
        try await HTTP.call(port: server.port, .put, "/v1/plans/roll", key: key, body: """
            {"name":"Rollover","monthlyAllowance":100,"overagePolicy":"block","overageRate":0,"priceCents":0,"rollover":{"fraction":0.5,"maxCarry":80,"expiresAfterPeriods":2}}
            """)
        for index in 0..<Self.workspaces {
            try await HTTP.call(port: server.port, .post, "/v1/workspaces", key: key, body: #"{"id":"w\#(index)","name":"w","planId":"roll"}"#)
        }
        let made = try #require(try await HTTP.call(port: server.port, .get, "/v1/workspaces/w0", key: key).json?.objectValue)
        server.process.terminate()
        server.process.waitUntilExit()

        // Each workspace made a period earlier, its period ended now: as if a month passed.
        let periodStart = try #require(made["period"]?.objectValue?["start"]?.stringValue.flatMap(ISOTime.parse)) / 1000
        let anchor = try #require(made["anchorDate"]?.stringValue.flatMap(CivilDate.init(parsing:)))
        let earlier = BillingPeriod.containing(periodStart - 1, anchor: anchor)
        let shift = "UPDATE workspaces SET period_start = \(earlier.start), period_end = \(earlier.end), created_at = \(earlier.start * 1000)"
        if backend == .sqlite {
            let store = try SQLiteStore(path: "\(dir)/rollover.sqlite")
            try await store.executeUnchecked(sql: shift)
        } else {
            let store = try PostgresStore(url: database, timeoutSeconds: Backend.postgresTimeoutSeconds)
            await store.start()
            try await store.executeUnchecked(sql: shift)
            await store.shutdown()
        }

        // The sweeper closes periods as the server starts: killed while it does.
        server = try await TributeProcess.serve(binary, database: database, log: dir + "/serve-2.log")
        try await Task.sleep(for: .milliseconds(Int.random(in: 0...40)))
        kill(server.process.processIdentifier, SIGKILL)
        server.process.waitUntilExit()

        server = try await TributeProcess.serve(binary, database: database, log: dir + "/serve-3.log")
        defer { server.process.terminate(); server.process.waitUntilExit() }
        for index in 0..<Self.workspaces {
            // The restarted sweeper closes what the killed one did not, within a few seconds
            // (a read shows the close before it is written: it waits for the transaction).
            var closes = 0
            for _ in 0..<100 {
                let transactions = try await HTTP.call(port: server.port, .get, "/v1/workspaces/w\(index)/transactions", key: key).json?.objectValue?["items"]?.arrayValue ?? []
                closes = transactions.filter { $0.objectValue?["kind"] == .string("allowance_reset") }.count
                if closes >= 2 { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(closes == 2, "w\(index): its issue and one close")
            let workspace = try await HTTP.call(port: server.port, .get, "/v1/workspaces/w\(index)", key: key).json?.objectValue ?? [:]
            #expect(workspace["rollover"]?.arrayValue?.first?.objectValue?["actions"] == .number("50"), "w\(index): \(workspace)")
            #expect(workspace["remainingAllowance"] == .number("150"), "w\(index) carried once")
        }
        let verify = try TributeProcess.run(binary, ["ledger", "verify", "--database", database])
        #expect(verify.status == 0, "\(verify.output)")
    }
}
