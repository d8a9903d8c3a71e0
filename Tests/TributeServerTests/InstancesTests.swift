import Foundation
import HTTPTypes
import Testing
import TributeCore
import TributeStore
import TributeTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Several real `tribute serve` processes on one PostgreSQL database: correctness comes
/// from the database, a killed instance loses nothing it acknowledged, and an outage is
/// answered with 503 and recovered from without help.
@Suite(.serialized) struct InstancesTests {
    /// Two servers, one database, an admin key and a prepaid workspace holding `credits`.
    struct Pair {
        let binary: String
        let database: String
        let key: String
        let dir: String
        var servers: [TributeProcess.Server]

        init(credits: Int) async throws {
            binary = try TributeProcess.binary()
            database = try await TestPostgres.newDatabase()
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("tribute-pair-" + Identifier.randomBase62(count: 8)).path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            key = try TributeProcess.run(binary, ["keys", "create", "--role", "admin", "--database", database]).output
                .trimmingCharacters(in: .whitespacesAndNewlines)
            servers = [
                try await TributeProcess.serve(binary, database: database, log: dir + "/a.log"),
                try await TributeProcess.serve(binary, database: database, log: dir + "/b.log"),
            ]
            try await HTTP.call(port: servers[0].port, .post, "/v1/workspaces", key: key, body: #"{"id":"w","name":"W","planId":"prepaid"}"#)
            try await HTTP.call(port: servers[1].port, .post, "/v1/workspaces/w/credit-grants", key: key, body: "{\"amount\":\(credits)}")
        }

        func stop() {
            for server in servers where server.process.isRunning {
                server.process.terminate()
                server.process.waitUntilExit()
            }
        }

        func verify() throws -> (status: Int32, output: String) {
            try TributeProcess.run(binary, ["ledger", "verify", "--database", database])
        }
    }

    static let debit = #"{"workspaceId":"w","actionType":"SIMPLE_LLM"}"#

    /// 2,000 calls, 256 at a time, split between two servers, money for exactly 150 (15
    /// credits at 0.1 each): exactly 150 approved, the rest refused for the balance.
    @Test(.timeLimit(.minutes(3)))
    func twoServersNeverOverdrawOneWallet() async throws {
        let pair = try await Pair(credits: 15)
        defer { pair.stop() }
        let (approved, refused) = try await withThrowingTaskGroup(of: String?.self) { group in
            // 256 calls in flight at a time, each on a new connection: enough to contend for
            // the wallet on both servers, few enough that connecting never queues past the
            // client's timeout on two shared cores.
            func call(_ index: Int) {
                let port = pair.servers[index % 2].port
                group.addTask {
                    let answer = try await HTTP.call(port: port, .post, "/v1/agent-actions/authorize-and-debit", key: pair.key, body: InstancesTests.debit)
                    guard answer.status == .ok else { return "status \(answer.status.code)" }
                    return answer.json?.objectValue?["reason"]?.stringValue
                }
            }
            var next = 0
            while next < 256 { call(next); next += 1 }
            var approved = 0, refused = 0
            for try await reason in group {
                if reason == "APPROVED" { approved += 1 } else if reason == "INSUFFICIENT_BALANCE" { refused += 1 } else { Issue.record("unexpected answer: \(reason ?? "nil")") }
                if next < 2_000 { call(next); next += 1 }
            }
            return (approved, refused)
        }
        #expect(approved == 150)
        #expect(refused == 1_850)
        let workspace = try await HTTP.call(port: pair.servers[1].port, .get, "/v1/workspaces/w", key: pair.key)
        #expect(workspace.json?.objectValue?["remainingBalance"] == .number("0"))
        let verify = try pair.verify()
        #expect(verify.status == 0, "\(verify.output)")
    }

    /// One idempotency key sent 100 times at once, half to each server: one debit, and
    /// every answer the same.
    @Test(.timeLimit(.minutes(3)))
    func oneKeySentToBothServersDebitsOnce() async throws {
        let pair = try await Pair(credits: 10)
        defer { pair.stop() }
        let answers = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<100 {
                let port = pair.servers[index % 2].port
                group.addTask {
                    let answer = try await HTTP.call(port: port, .post, "/v1/agent-actions/authorize-and-debit", key: pair.key,
                                                     body: InstancesTests.debit, headers: [("Idempotency-Key", "retry-1")])
                    return answer.status == .ok ? (answer.json?.serialized ?? "") : "status \(answer.status.code)"
                }
            }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(answers.count == 1, "\(answers)")
        let decisions = try await HTTP.call(port: pair.servers[0].port, .get, "/v1/workspaces/w/decisions", key: pair.key)
        guard case .array(let items)? = decisions.json?.objectValue?["items"] else { Issue.record("no decisions"); return }
        #expect(items.count == 1)
        #expect(try pair.verify().status == 0)
    }

    /// 16 clients over two servers; one server is killed with `kill -9` mid-load and
    /// restarted: every debit acknowledged by either is in the ledger.
    @Test(.timeLimit(.minutes(3)))
    func killingOneServerLosesNothingAcknowledged() async throws {
        var pair = try await Pair(credits: 100_000)
        defer { pair.stop() }
        let acknowledged = Acknowledged()
        let ports = pair.servers.map(\.port)
        let key = pair.key
        let workers = Task {
            await withTaskGroup(of: Void.self) { group in
                for worker in 0..<16 {
                    group.addTask {
                        var sent = 0
                        var failures = 0
                        while sent < 400 && failures < 50 {
                            // Each client keeps to one server, as a load balancer would until it fails.
                            let port = ports[(worker + failures) % 2]
                            if let answer = try? await HTTP.call(port: port, .post, "/v1/agent-actions/authorize-and-debit", key: key, body: InstancesTests.debit),
                               answer.status == .ok, let id = answer.json?.objectValue?["transactionId"]?.stringValue {
                                await acknowledged.add(id)
                                sent += 1
                            } else {
                                failures += 1
                            }
                        }
                    }
                }
            }
        }
        for _ in 0..<200 where await acknowledged.count < 300 { try await Task.sleep(for: .milliseconds(100)) }
        kill(pair.servers[0].process.processIdentifier, SIGKILL)
        pair.servers[0].process.waitUntilExit()
        await workers.value
        pair.servers[0] = try await TributeProcess.serve(pair.binary, database: pair.database, log: pair.dir + "/a2.log")
        let acked = await acknowledged.ids
        #expect(acked.count >= 300)
        let stored = try await HTTP.collect("id", port: pair.servers[0].port, path: "/v1/workspaces/w/transactions", key: key)
        let lost = acked.filter { !stored.contains($0) }
        #expect(lost.isEmpty, "\(lost.count) acknowledged debits are missing after kill -9")
        let verify = try pair.verify()
        #expect(verify.status == 0, "\(verify.output)")
    }

    /// A database that cannot be reached at start: the server says so and exits, rather
    /// than hang or listen without a database.
    @Test(.timeLimit(.minutes(2)))
    func anUnreachableDatabaseFailsTheStartClearly() async throws {
        let binary = try TributeProcess.binary()
        // Nothing listens on port 1 of the loopback.
        let result = try await TributeProcess.runBounded(binary, ["serve", "--port", "0", "--database", "postgres://postgres@127.0.0.1:1/none"], seconds: 60)
        #expect(result.status != 0)
        #expect(result.output.contains("cannot use the PostgreSQL database at postgres://postgres@127.0.0.1:1/none"), "\(result.output)")
        #expect(!result.output.contains("listening"))
    }

    /// PostgreSQL stops under a running server: `/readyz` and the API answer 503; it comes
    /// back: the server recovers by itself, and every acknowledged debit is in the ledger.
    @Test(.timeLimit(.minutes(3)))
    func aDatabaseOutageAnswers503AndRecovers() async throws {
        let cluster = try PostgresCluster()
        defer { cluster.destroy() }
        try cluster.start()
        let binary = try TributeProcess.binary()
        let database = cluster.url
        let key = try TributeProcess.run(binary, ["keys", "create", "--role", "admin", "--database", database]).output
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let server = try await TributeProcess.serve(binary, database: database, log: cluster.dir + "/serve.log")
        defer { server.process.terminate(); server.process.waitUntilExit() }
        let port = server.port
        try await HTTP.call(port: port, .post, "/v1/workspaces", key: key, body: #"{"id":"w","name":"W","planId":"prepaid"}"#)
        try await HTTP.call(port: port, .post, "/v1/workspaces/w/credit-grants", key: key, body: #"{"amount":1000}"#)

        var acked: [String] = []
        func debit() async throws -> HTTP.Answer {
            let answer = try await HTTP.call(port: port, .post, "/v1/agent-actions/authorize-and-debit", key: key, body: InstancesTests.debit)
            if answer.status == .ok, let id = answer.json?.objectValue?["transactionId"]?.stringValue { acked.append(id) }
            return answer
        }
        for _ in 0..<20 { #expect(try await debit().status == .ok) }

        try cluster.stop()
        #expect(try await HTTP.call(port: port, .get, "/readyz", key: key).status == .serviceUnavailable)
        let during = try await debit()
        #expect(during.status == .serviceUnavailable)
        #expect(during.json?.objectValue?["error"]?.objectValue?["code"] == .string("unavailable"))

        try cluster.start()
        var recovered = false
        for _ in 0..<120 where !recovered {
            if try await HTTP.call(port: port, .get, "/readyz", key: key).status == .ok { recovered = true } else { try await Task.sleep(for: .milliseconds(500)) }
        }
        #expect(recovered, "the server did not recover after the database came back")
        // The pool may still hold a broken connection or two: a few calls may fail once.
        var afterwards = 0
        for _ in 0..<40 where afterwards < 20 { if try await debit().status == .ok { afterwards += 1 } }
        #expect(afterwards == 20)

        let stored = try await HTTP.collect("id", port: port, path: "/v1/workspaces/w/transactions", key: key)
        #expect(acked.allSatisfy(stored.contains), "an acknowledged debit is missing after the outage")
        #expect(try TributeProcess.run(binary, ["ledger", "verify", "--database", database]).status == 0)
    }
}

/// A PostgreSQL cluster of one test's own, through `scripts/pg-cluster.sh`.
struct PostgresCluster {
    let dir: String
    let port: Int
    var url: String { "postgres://postgres@127.0.0.1:\(port)/postgres" }
    private static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("scripts/pg-cluster.sh").path

    init() throws {
        dir = "/tmp/tribute-outage-" + Identifier.randomBase62(count: 8)
        // Below Linux's ephemeral range (32768 and up), where no client socket of the
        // other tests can hold it.
        port = Int.random(in: 21_000..<29_000)
        try PostgresCluster.script("init", dir)
    }

    func start() throws { try PostgresCluster.script("start", dir, String(port)) }
    func stop() throws { try PostgresCluster.script("stop", dir) }

    func destroy() {
        try? stop()
        try? FileManager.default.removeItem(atPath: dir)
        try? FileManager.default.removeItem(atPath: dir + ".script.log")
    }

    struct ScriptFailed: Error, CustomStringConvertible {
        let arguments: [String]
        let output: String
        var description: String { "pg-cluster.sh \(arguments.joined(separator: " ")) failed: \(output)" }
    }

    private static func script(_ arguments: String...) throws {
        // A file, not a pipe: the server that `start` leaves running would hold a pipe open.
        let log = arguments[1] + ".script.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let process = try ChildProcess("/bin/bash", [script] + arguments, output: log, error: log)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            let serverLog = (try? String(contentsOfFile: arguments[1] + "/server.log", encoding: .utf8)) ?? ""
            throw ScriptFailed(arguments: arguments, output: output + serverLog)
        }
    }
}
