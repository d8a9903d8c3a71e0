import Foundation
import HTTPTypes
import Testing
import TributeCore
import TributeStore
#if canImport(Glibc)
import Glibc
#endif

/// A PostgreSQL primary lost under load (issue 26, docs/operations.md): `tribute serve`
/// through HAProxy to two nodes under Patroni in synchronous mode (`scripts/pg-ha.sh`), 64
/// callers debiting with idempotency keys and retrying `503`s under the same key, and the
/// leader node killed (`kill -9` of its Patroni and its postmaster, as a machine dies).
/// Patroni promotes the standby; then every acknowledged debit is on the new primary once,
/// no logical call is charged twice, no answer was a `500`, the ledger verifies, and the
/// balance is the start less what was acknowledged.
///
/// Run on its own, after the other suites (`scripts/test.sh` sets `TRIBUTE_TEST_FAILOVER=1`
/// for it): two PostgreSQL nodes, etcd, HAProxy and 64 callers on a two-core machine would
/// otherwise slow every suite running beside them, and they it.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["TRIBUTE_TEST_FAILOVER"] == "1")) struct FailoverTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let callers = 64
    static let credits = Amount(units: 1_000_000)

    actor Tally {
        var statuses: [String: Int] = [:]
        var acknowledged: Set<String> = []
        var okTimes: [ContinuousClock.Instant] = []
        var unfinished = 0
        func count(_ status: String) { statuses[status, default: 0] += 1 }
        func ok(_ id: String) {
            acknowledged.insert(id)
            okTimes.append(.now)
        }
        func gaveUp() { unfinished += 1 }
        /// The longest time without a `200` while the load ran.
        var longestGap: Duration {
            zip(okTimes, okTimes.dropFirst()).map { $1 - $0 }.max() ?? .zero
        }
    }

    @Test(.timeLimit(.minutes(5)))
    func aPrimaryLostUnderLoadLosesNoAcknowledgedDebit() async throws {
        let binary = try TributeProcess.binary()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tribute-ha-" + Identifier.randomBase62(count: 8)).path
        // Below Linux's ephemeral ports (32768 on), so that no outgoing connection holds one.
        let base = 20_000 + Int.random(in: 0..<300) * 40
        let script = Self.root.appendingPathComponent("scripts/pg-ha.sh").path
        let started = try TributeProcess.run("/bin/bash", [script, "start", dir, String(base)])
        defer { _ = try? TributeProcess.run("/bin/bash", [script, "stop", dir]) }
        try #require(started.status == 0, "the HA cluster did not start: \(started.output)")
        let database = started.output.trimmingCharacters(in: .whitespacesAndNewlines)
        print("failover: cluster up at \(database)")
        let key = try TributeProcess.run(binary, ["keys", "create", "--role", "admin", "--database", database]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        let server = try await TributeProcess.serve(binary, database: database, log: dir + "/serve.log")
        print("failover: tribute serve on \(server.port)")
        defer { server.process.terminate(); server.process.waitUntilExit() }
        try await HTTP.call(port: server.port, .post, "/v1/workspaces", key: key, body: #"{"id":"ha","name":"HA","planId":"prepaid"}"#)
        try await HTTP.call(port: server.port, .post, "/v1/workspaces/ha/credit-grants", key: key, body: #"{"amount":\#(Self.credits)}"#)

        let tally = Tally()
        let port = server.port
        let loadEnds = ContinuousClock.now + .seconds(30)
        let load = Task {
            await withTaskGroup(of: Void.self) { group in
                for caller in 0..<Self.callers {
                    group.addTask { await Self.debitUntil(loadEnds, caller: caller, port: port, key: key, tally: tally) }
                }
            }
        }
        try await Task.sleep(for: .seconds(6))
        print("failover: load running, \(await tally.acknowledged.count) acknowledged")
        let leader = try #require(TributeProcess.run("/bin/bash", [script, "leader", dir]).output.split(separator: "\n").first.map(String.init))
        let patroni = try String(contentsOfFile: "\(dir)/\(leader)/patroni.pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let postmaster = try #require(try String(contentsOfFile: "\(dir)/\(leader)/data/postmaster.pid", encoding: .utf8).split(separator: "\n").first)
        kill(pid_t(patroni) ?? 0, SIGKILL)
        kill(pid_t(postmaster) ?? 0, SIGKILL)
        await load.value

        let statuses = await tally.statuses, acknowledged = await tally.acknowledged, gap = await tally.longestGap
        let newLeader = try TributeProcess.run("/bin/bash", [script, "leader", dir]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        print("failover: \(leader) killed, \(newLeader) leads; \(acknowledged.count) debits acknowledged; answers \(statuses); longest time without a 200: \(gap)")
        #expect(!newLeader.isEmpty && newLeader != leader, "the standby was promoted")
        #expect(statuses.keys.allSatisfy { ["200", "503", "unanswered"].contains($0) }, "only 200 and retryable 503: \(statuses)")
        #expect(await tally.unfinished == 0, "every logical call was answered 200 in the end")
        #expect(gap < .seconds(45), "service came back: \(gap) without a 200")
        // On the new primary: every acknowledged debit once, and nothing else.
        let stored = try await HTTP.collect("transactionId", port: port, path: "/v1/workspaces/ha/decisions", key: key)
        #expect(acknowledged.subtracting(stored).isEmpty, "\(acknowledged.subtracting(stored).count) acknowledged debits are missing")
        #expect(stored.count == acknowledged.count, "\(stored.count) decisions for \(acknowledged.count) logical calls: none charged twice")
        let balance = try await HTTP.call(port: port, .get, "/v1/workspaces/ha", key: key).json?.objectValue?["remainingBalance"]
        let expected = Self.credits - Amount(micros: 100_000 * Int64(acknowledged.count))
        #expect(balance == .number(expected.description), "the start less every acknowledged debit")
        let verify = try TributeProcess.run(binary, ["ledger", "verify", "--database", database])
        #expect(verify.status == 0, "\(verify.output)")
    }

    /// One caller: logical calls, each under its own key, retried under that key until a
    /// `200` (a `503` or no answer is retried after a short pause), until `end`.
    static func debitUntil(_ end: ContinuousClock.Instant, caller: Int, port: Int, key: String, tally: Tally) async {
        var call = 0
        while ContinuousClock.now < end {
            call += 1
            let idempotencyKey = "failover-\(caller)-\(call)"
            let giveUp = ContinuousClock.now + .seconds(60)
            var done = false
            while !done && ContinuousClock.now < giveUp {
                let answer = try? await HTTP.call(port: port, .post, "/v1/agent-actions/authorize-and-debit", key: key,
                                                  body: #"{"workspaceId":"ha","actionType":"SIMPLE_LLM"}"#, headers: [("Idempotency-Key", idempotencyKey)])
                guard let answer else {
                    await tally.count("unanswered")
                    try? await Task.sleep(for: .milliseconds(200))
                    continue
                }
                await tally.count(String(answer.status.code))
                if answer.status == .ok, let id = answer.json?.objectValue?["transactionId"]?.stringValue {
                    await tally.ok(id)
                    done = true
                } else {
                    try? await Task.sleep(for: .milliseconds(200))
                }
            }
            if !done { await tally.gaveUp() }
        }
    }
}
