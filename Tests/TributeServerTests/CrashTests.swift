import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing
import TributeCore
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

        var server = try TributeProcess.serve(binary, database: database, log: dir + "/serve-1.log")
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

        server = try TributeProcess.serve(binary, database: database, log: dir + "/serve-2.log")
        defer { server.process.terminate(); server.process.waitUntilExit() }
        var stored = Set<String>()
        var cursor: String?
        repeat {
            let page = try await HTTP.call(port: server.port, .get, "/v1/workspaces/crash/decisions?limit=500" + (cursor.map { "&cursor=\($0)" } ?? ""), key: key)
            let object = try #require(page.json?.objectValue)
            if case .array(let items)? = object["items"] {
                for item in items { if let id = item.objectValue?["transactionId"]?.stringValue { stored.insert(id) } }
            }
            cursor = object["nextCursor"]?.stringValue
        } while cursor != nil
        let lost = acked.filter { !stored.contains($0) }
        #expect(lost.isEmpty, "\(lost.count) acknowledged debits are missing after kill -9")
        // Every stored debit cost 0.1 credits: the balance agrees with the decision log.
        let workspace = try await HTTP.call(port: server.port, .get, "/v1/workspaces/crash", key: key)
        let balance = try Amount.parse(try #require({ if case .number(let n)? = workspace.json?.objectValue?["remainingBalance"] { n } else { nil } }()))
        #expect(balance == Amount(units: 100_000) - Amount(micros: Int64(stored.count) * 100_000))
        let verify = try TributeProcess.run(binary, ["ledger", "verify", "--database", database])
        #expect(verify.status == 0, "\(verify.output)")
    }
}

actor Acknowledged {
    private(set) var ids: [String] = []
    var count: Int { ids.count }
    func add(_ id: String) { ids.append(id) }
}

/// The `tribute` executable, run as a separate process.
enum TributeProcess {
    struct Server {
        let process: Process
        let port: Int
    }

    /// `.build/debug/tribute` of this package (or `TRIBUTE_BIN`).
    static func binary() throws -> String {
        if let path = ProcessInfo.processInfo.environment["TRIBUTE_BIN"] { return path }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let path = root.appendingPathComponent(".build/debug/tribute").path
        guard FileManager.default.isExecutableFile(atPath: path) else { throw MissingBinary(path: path) }
        return path
    }

    struct MissingBinary: Error, CustomStringConvertible {
        let path: String
        var description: String { "no tribute executable at \(path): run `swift build --build-tests` first" }
    }

    /// Runs a command to completion: its exit status and standard output.
    static func run(_ binary: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Starts `tribute serve --port 0` and waits for the port it prints.
    static func serve(_ binary: String, database: String, log: String) throws -> Server {
        FileManager.default.createFile(atPath: log, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--port", "0", "--database", database]
        process.standardOutput = FileHandle(forWritingAtPath: log)
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<300 {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if let range = text.range(of: "listening on http://127.0.0.1:") {
                let digits = text[range.upperBound...].prefix { $0.isNumber }
                if let port = Int(digits) { return Server(process: process, port: port) }
            }
            usleep(50_000)
        }
        process.terminate()
        throw ServerDidNotStart()
    }

    struct ServerDidNotStart: Error {}
}

/// One HTTP request on a fresh connection, bounded in time.
enum HTTP {
    struct Answer {
        let status: HTTPResponse.Status
        let json: JSON?
    }

    struct TimedOut: Error {}

    @discardableResult
    static func call(port: Int, _ method: HTTPRequest.Method, _ path: String, key: String, body: String? = nil) async throws -> Answer {
        try await TestClient.withClient(host: "127.0.0.1", port: port) { client in
            try await withThrowingTaskGroup(of: Answer.self) { group in
                group.addTask {
                    var headers: HTTPFields = [.authorization: "Bearer \(key)"]
                    if body != nil { headers[.contentType] = "application/json" }
                    let response = try await client.execute(TestClient.Request(path, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }))
                    let bytes = response.body.map { Array($0.readableBytesView) } ?? []
                    return Answer(status: response.status, json: try? JSON.parse(bytes))
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(10))
                    throw TimedOut()
                }
                let answer = try await group.next()!
                group.cancelAll()
                return answer
            }
        }
    }
}
