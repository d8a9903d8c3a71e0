import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import TributeCore
import TributeTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Transaction ids acknowledged with a `200`, collected from many client tasks.
actor Acknowledged {
    private(set) var ids: [String] = []
    var count: Int { ids.count }
    func add(_ id: String) { ids.append(id) }
}

/// The `tribute` executable, run as a separate process.
enum TributeProcess {
    struct Server {
        let process: ChildProcess
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
        let output = temporaryOutput()
        defer { try? FileManager.default.removeItem(atPath: output) }
        let process = try ChildProcess(binary, arguments, output: output)
        process.waitUntilExit()
        return (process.terminationStatus, (try? String(contentsOfFile: output, encoding: .utf8)) ?? "")
    }

    /// Runs a command to completion within `seconds`: its exit status and both outputs.
    static func runBounded(_ binary: String, _ arguments: [String], seconds: Double) async throws -> (status: Int32, output: String) {
        let output = temporaryOutput()
        defer { try? FileManager.default.removeItem(atPath: output) }
        let process = try ChildProcess(binary, arguments, output: output, error: output)
        let deadline = ContinuousClock.now + .seconds(seconds)
        while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
        if process.isRunning {
            process.terminate()
            throw HTTP.TimedOut()
        }
        return (process.terminationStatus, (try? String(contentsOfFile: output, encoding: .utf8)) ?? "")
    }

    /// A fresh path for a command's output.
    static func temporaryOutput() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("tribute-run-" + UUID().uuidString).path
    }

    /// Starts `tribute serve --port 0` and waits (up to 15 s) for the port it prints.
    /// `environment` is added to this process's own.
    static func serve(_ binary: String, database: String, log: String, environment: [String: String] = [:]) async throws -> Server {
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let process = try ChildProcess(binary, ["serve", "--port", "0", "--database", database],
                                       environment: ProcessInfo.processInfo.environment.merging(environment) { $1 }, output: log, error: "/dev/null")
        for _ in 0..<300 {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if let range = text.range(of: "listening on http://127.0.0.1:") {
                let digits = text[range.upperBound...].prefix { $0.isNumber }
                if let port = Int(digits) { return Server(process: process, port: port) }
            }
            // Sleeps without holding a thread of the cooperative pool (two on two cores).
            do {
                try await Task.sleep(for: .milliseconds(50))
            } catch {
                process.terminate()
                throw error
            }
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
    static func call(port: Int, _ method: HTTPRequest.Method, _ path: String, key: String, body: String? = nil, headers extra: [(String, String)] = []) async throws -> Answer {
        try await TestClient.withClient(host: "127.0.0.1", port: port) { client in
            try await withThrowingTaskGroup(of: Answer.self) { group in
                group.addTask {
                    var headers: HTTPFields = [.authorization: "Bearer \(key)"]
                    if body != nil { headers[.contentType] = "application/json" }
                    for (name, value) in extra { headers[HTTPField.Name(name)!] = value }
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

extension HTTP {
    struct NotAList: Error {}

    /// Every `field` of every item of a cursor-paginated list, following `nextCursor`.
    static func collect(_ field: String, port: Int, path: String, key: String) async throws -> Set<String> {
        var values = Set<String>()
        var cursor: String?
        repeat {
            let page = try await call(port: port, .get, path + "?limit=500" + (cursor.map { "&cursor=\($0)" } ?? ""), key: key)
            guard let object = page.json?.objectValue, case .array(let items)? = object["items"] else { throw NotAList() }
            for item in items { if let value = item.objectValue?[field]?.stringValue { values.insert(value) } }
            cursor = object["nextCursor"]?.stringValue
        } while cursor != nil
        return values
    }
}
