import Foundation
import Testing
import TributeCore
import TributeStore
import TributeTestSupport

/// The lanes of PostgreSQL batches (`TRIBUTE_PG_LANES`): however calls are spread over them,
/// each workspace is charged exactly what it can afford and the ledger holds.
@Suite struct PostgresLaneTests {
    /// 20 workspaces that afford 10 calls each, 600 concurrent calls spread over them: every
    /// workspace ends with exactly 10 approved, with one lane and with five.
    @Test(arguments: [1, 5])
    func everyWorkspaceIsChargedWhatItAffordsWhateverTheLanes(lanes: Int) async throws {
        let clock = ManualClock(millis: Backend.testClockStart)
        let url = try await TestPostgres.newDatabase()
        let store = try PostgresStore(url: url, clock: clock, lanes: lanes, timeoutSeconds: Backend.postgresTimeoutSeconds)
        await store.start()
        try await store.migrate()
        let workspaces = (0..<20).map { "w-\($0)" }
        // The prepaid plan charges 0.1 credit per SIMPLE_LLM call: 1 credit is 10 calls.
        for id in workspaces { try await store.makeWorkspace(id, credits: Amount(units: 1)) }
        let approved = try await withThrowingTaskGroup(of: (String, Bool).self) { group in
            for index in 0..<600 {
                let id = workspaces[index % workspaces.count]
                group.addTask { (id, try await store.authorize(AuthorizeRequest(workspaceId: id, actionType: "SIMPLE_LLM"), idempotency: nil).approved) }
            }
            return try await group.reduce(into: [String: Int]()) { counts, result in
                if result.1 { counts[result.0, default: 0] += 1 }
            }
        }
        for id in workspaces {
            #expect(approved[id] == 10, "\(id)")
            #expect(try await store.workspace(id: id).remainingBalance == .zero)
        }
        _ = try await store.expectLedgerHolds()
        await store.shutdown()
    }

    @Test(arguments: [0, -1, 65])
    func aLaneCountOutOfRangeIsRefused(lanes: Int) throws {
        #expect(throws: TributeError.self) {
            _ = try PostgresStore(url: "postgres://postgres@127.0.0.1:1/none", lanes: lanes)
        }
    }
}
