import Foundation
import HTTPTypes
import Testing
import TributeCore
import TributeStore
#if canImport(Glibc)
import Glibc
#endif

/// SPEC §3.1 under `kill -9`: every acknowledged hold is still held after a restart, and
/// expires on time there (the restarted server's sweeper records it).
@Suite(.serialized) struct HoldCrashTests {
    @Test(.timeLimit(.minutes(3)))
    func openHoldsSurviveKillNineAndExpireOnTime() async throws {
        let binary = try TributeProcess.binary()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tribute-hold-crash-" + Identifier.randomBase62(count: 8)).path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let database = "sqlite:\(dir)/crash.sqlite"
        let key = try TributeProcess.run(binary, ["keys", "create", "--role", "admin", "--database", database]).output
            .trimmingCharacters(in: .whitespacesAndNewlines)

        var server = try await TributeProcess.serve(binary, database: database, log: dir + "/serve-1.log")
        try await HTTP.call(port: server.port, .post, "/v1/workspaces", key: key, body: #"{"id":"crash","name":"Crash","planId":"prepaid"}"#)
        try await HTTP.call(port: server.port, .post, "/v1/workspaces/crash/credit-grants", key: key, body: #"{"amount":100}"#)

        // Holds of 1 credit each (10 actions at 0.1), for 15 seconds: long enough to outlive
        // the restart, short enough to see them expire.
        let ttlSeconds: Int64 = 15
        let acknowledged = Acknowledged()
        let port = server.port
        let workers = Task {
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        while true {
                            let body = #"{"workspaceId":"crash","actionType":"SIMPLE_LLM","costMultiplier":10,"ttlSeconds":\#(ttlSeconds)}"#
                            guard let answer = try? await HTTP.call(port: port, .post, "/v1/holds", key: key, body: body),
                                  answer.status == .ok, let id = answer.json?.objectValue?["holdId"]?.stringValue else { return }
                            await acknowledged.add(id)
                        }
                    }
                }
            }
        }
        for _ in 0..<200 where await acknowledged.count < 30 { try await Task.sleep(for: .milliseconds(50)) }
        kill(server.process.processIdentifier, SIGKILL)
        server.process.waitUntilExit()
        await workers.value
        let acked = await acknowledged.ids
        #expect(acked.count >= 10, "the load should have been running when the server was killed")

        server = try await TributeProcess.serve(binary, database: database, log: dir + "/serve-2.log")
        defer { server.process.terminate(); server.process.waitUntilExit() }
        // Every acknowledged hold is there, still holding its credit until its own expiry.
        var latestExpiryMillis: Int64 = 0, earliestExpiryMillis = Int64.max
        for id in acked {
            let hold = try await HTTP.call(port: server.port, .get, "/v1/holds/\(id)", key: key)
            #expect(hold.status == .ok, "hold \(id) is missing after kill -9")
            let expiresAtMillis = try #require(hold.json?.objectValue?["expiresAt"]?.stringValue.flatMap(ISOTime.parse))
            latestExpiryMillis = max(latestExpiryMillis, expiresAtMillis)
            earliestExpiryMillis = min(earliestExpiryMillis, expiresAtMillis)
            if Self.nowMillis() < expiresAtMillis - 500 {
                #expect(hold.json?.objectValue?["status"]?.stringValue == "open")
            }
        }
        let readAtMillis = Self.nowMillis()
        let held = try await Self.balances(port: server.port, key: key)
        #expect(held.balance + held.held == Amount(units: 100), "nothing was committed: every credit is in the wallet or held")
        // Before the first of them expires, every acknowledged hold still holds its credit.
        if readAtMillis < earliestExpiryMillis - 500 { #expect(held.held >= Amount(units: Int64(acked.count))) }

        // After their time, the sweeper of the restarted server releases them.
        var after = held
        for _ in 0..<100 {
            after = try await Self.balances(port: server.port, key: key)
            if after.held.isZero { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(after.held == .zero && after.balance == Amount(units: 100))
        #expect(Self.nowMillis() >= latestExpiryMillis, "holds were released before their time")
        for id in acked.prefix(5) {
            #expect(try await HTTP.call(port: server.port, .get, "/v1/holds/\(id)", key: key).json?.objectValue?["status"]?.stringValue == "expired")
        }
        let verify = try TributeProcess.run(binary, ["ledger", "verify", "--database", database])
        #expect(verify.status == 0, "\(verify.output)")
    }

    static func nowMillis() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    static func balances(port: Int, key: String) async throws -> (balance: Amount, held: Amount) {
        let workspace = try await HTTP.call(port: port, .get, "/v1/workspaces/crash", key: key).json?.objectValue
        func amount(_ name: String) throws -> Amount {
            guard case .number(let text)? = workspace?[name] else { throw CancellationError() }
            return try Amount.parse(text)
        }
        return (try amount("remainingBalance"), try amount("heldAmount"))
    }
}
