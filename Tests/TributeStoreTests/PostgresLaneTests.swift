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

    /// A key answered earlier, then sent again at once by 40 retries of its request and 40
    /// calls of another: every retry replays the first answer, every other call is refused,
    /// whichever of them a batch takes first.
    @Test func retriesReplayAKeyEvenBehindAConflictingCallInTheirBatch() async throws {
        let store = try await Backend.makePostgresStore()
        try await store.makeWorkspace("w", credits: Amount(units: 10))
        let request = AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM")
        let first = try await store.authorize(request, idempotency: IdempotencyClaim(key: "k", requestHash: "a"))
        let outcomes = try await withThrowingTaskGroup(of: (String, Result<String, TributeError>).self) { group in
            for index in 0..<80 {
                let hash = index % 2 == 0 ? "b" : "a"
                group.addTask {
                    do {
                        return (hash, .success(try await store.authorize(request, idempotency: IdempotencyClaim(key: "k", requestHash: hash)).body))
                    } catch let error as TributeError {
                        return (hash, .failure(error))
                    }
                }
            }
            return try await group.reduce(into: [(String, Result<String, TributeError>)]()) { $0.append($1) }
        }
        for (hash, outcome) in outcomes {
            switch (hash, outcome) {
            case ("a", .success(let body)): #expect(body == first.body)
            case ("b", .failure(let error)): #expect(error.code == TributeError.idempotencyKeyReused.code)
            default: Issue.record("request \(hash): \(outcome)")
            }
        }
        #expect(try await store.expectLedgerHolds().decisions == 1)
        await store.shutdown()
    }

    @Test(arguments: [0, -1, 65])
    func aLaneCountOutOfRangeIsRefused(lanes: Int) throws {
        #expect(throws: TributeError.self) {
            _ = try PostgresStore(url: "postgres://postgres@127.0.0.1:1/none", lanes: lanes)
        }
    }
}
