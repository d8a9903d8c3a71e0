import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing
import TributeCore
import TributeStore
#if canImport(Glibc)
import Glibc
#endif

/// A `200` is durable: the real `tribute serve` process, many clients, `kill -9` mid-load,
/// restart, and every acknowledged debit is in the ledger.
@Suite(.serialized) struct CrashTests {
    @Test(.timeLimit(.minutes(3)))
    func everyAcknowledgedDebitSurvivesKillNine() async throws {
        let binary = try TributeProcess.binary()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tribute-crash-" + Identifier.randomBase62(count: 8)).path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let database = "sqlite:\(dir)/crash.sqlite"
        let key = try TributeProcess.run(binary, ["keys", "create", "--role", "admin", "--database", database]).output
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(key.hasPrefix("trb_"))

        var server = try await TributeProcess.serve(binary, database: database, log: dir + "/serve-1.log")
        try await HTTP.call(port: server.port, .post, "/v1/workspaces", key: key, body: #"{"id":"crash","name":"Crash","planId":"prepaid"}"#)
        try await HTTP.call(port: server.port, .post, "/v1/workspaces/crash/credit-grants", key: key, body: #"{"amount":100000}"#)

        let acknowledged = Acknowledged()
        let port = server.port
        let workers = Task {
            await withTaskGroup(of: Void.self) { group in
                for worker in 0..<16 {
                    group.addTask {
                        var index = 0
                        while index < 2_000 {
                            let body = #"{"workspaceId":"crash","actionType":"SIMPLE_LLM","userId":"w\#(worker)"}"#
                            guard let answer = try? await HTTP.call(port: port, .post, "/v1/agent-actions/authorize-and-debit", key: key, body: body),
                                  answer.status == .ok, let id = answer.json?.objectValue?["transactionId"]?.stringValue else { return }
                            await acknowledged.add(id)
                            index += 1
                        }
                    }
                }
            }
        }
        // Mid-load: once a few hundred debits are acknowledged, or after 20 s at most.
        for _ in 0..<200 where await acknowledged.count < 300 { try await Task.sleep(for: .milliseconds(100)) }
        kill(server.process.processIdentifier, SIGKILL)
        server.process.waitUntilExit()
        await workers.value
        let acked = await acknowledged.ids
        #expect(acked.count >= 100, "the load should have been running when the server was killed")

        server = try await TributeProcess.serve(binary, database: database, log: dir + "/serve-2.log")
        defer { server.process.terminate(); server.process.waitUntilExit() }
        let stored = try await HTTP.collect("transactionId", port: server.port, path: "/v1/workspaces/crash/decisions", key: key)
        let lost = acked.filter { !stored.contains($0) }
        #expect(lost.isEmpty, "\(lost.count) acknowledged debits are missing after kill -9")
        // Every stored debit cost 0.1 credits: the balance agrees with the decision log.
        let workspace = try await HTTP.call(port: server.port, .get, "/v1/workspaces/crash", key: key)
        let balance = try Amount.parse(try #require({ if case .number(let n)? = workspace.json?.objectValue?["remainingBalance"] { n } else { nil } }()))
        #expect(balance == Amount(units: 100_000) - Amount(micros: Int64(stored.count) * 100_000))
        let verify = try TributeProcess.run(binary, ["ledger", "verify", "--database", database])
        #expect(verify.status == 0, "\(verify.output)")
    }

    /// SIGTERM stops the server and its services (the webhook worker, an open event
    /// stream) promptly and with exit status 0.
    @Test(.timeLimit(.minutes(1)))
    func sigtermEndsTheServerCleanly() async throws {
        let binary = try TributeProcess.binary()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tribute-term-" + Identifier.randomBase62(count: 8)).path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let database = "sqlite:\(dir)/term.sqlite"
        let key = try TributeProcess.run(binary, ["keys", "create", "--role", "admin", "--database", database]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        let server = try await TributeProcess.serve(binary, database: database, log: dir + "/serve.log")
        try await HTTP.call(port: server.port, .post, "/v1/workspaces", key: key, body: #"{"id":"w","name":"W","planId":"free"}"#)
        #expect(try await HTTP.call(port: server.port, .get, "/v1/workspaces/w", key: key).status == .ok)
        kill(server.process.processIdentifier, SIGTERM)
        for _ in 0..<100 where server.process.isRunning { try await Task.sleep(for: .milliseconds(100)) }
        #expect(!server.process.isRunning, "tribute serve did not stop within 10 s of SIGTERM")
        if server.process.isRunning { server.process.terminate() }
        server.process.waitUntilExit()
        #expect(server.process.terminationStatus == 0)
    }
}
