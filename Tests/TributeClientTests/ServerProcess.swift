import Foundation
import TributeCore
import TributeTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The package's executables: `.build/debug/tribute` and `.build/debug/agent-loop`, built by
/// `swift build --build-tests`.
enum Executables {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func path(_ name: String, environmentOverride: String) throws -> String {
        if let path = ProcessInfo.processInfo.environment[environmentOverride] { return path }
        let path = root.appendingPathComponent(".build/debug/\(name)").path
        guard FileManager.default.isExecutableFile(atPath: path) else { throw Missing(path: path) }
        return path
    }

    static func tribute() throws -> String { try path("tribute", environmentOverride: "TRIBUTE_BIN") }
    static func agentLoop() throws -> String { try path("agent-loop", environmentOverride: "AGENT_LOOP_BIN") }

    struct Missing: Error, CustomStringConvertible {
        let path: String
        var description: String { "no executable at \(path): run `swift build --build-tests` first" }
    }

    struct TimedOut: Error {}

    /// Runs a command to completion within `seconds`: its exit status and both outputs.
    static func run(_ binary: String, _ arguments: [String], environment: [String: String] = [:], seconds: Double = 30) async throws -> (status: Int32, output: String) {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("tribute-client-run-" + UUID().uuidString).path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let process = try ChildProcess(binary, arguments, environment: ProcessInfo.processInfo.environment.merging(environment) { $1 },
                                       output: output, error: output)
        let deadline = ContinuousClock.now + .seconds(seconds)
        while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            throw TimedOut()
        }
        return (process.terminationStatus, (try? String(contentsOfFile: output, encoding: .utf8)) ?? "")
    }
}

/// A temporary directory with a fresh SQLite database and its first admin key.
struct Sandbox: Sendable {
    let directory: String
    let database: String
    let adminKey: String

    static func make() async throws -> Sandbox {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tribute-client-" + UUID().uuidString.prefix(8)).path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let database = "sqlite:\(directory)/tribute.sqlite"
        let created = try await Executables.run(try Executables.tribute(), ["keys", "create", "--role", "admin", "--database", database])
        let key = created.output.trimmingCharacters(in: .whitespacesAndNewlines)
        guard created.status == 0, key.hasPrefix("trb_") else { throw NoKey(output: created.output) }
        return Sandbox(directory: directory, database: database, adminKey: key)
    }

    struct NoKey: Error {
        let output: String
    }

    /// Starts `tribute serve` on this sandbox's database, on `port` (0: a free one).
    func serve(port: Int = 0) async throws -> ServerProcess {
        try await ServerProcess.start(binary: try Executables.tribute(), database: database, port: port,
                                      log: "\(directory)/serve-\(UUID().uuidString.prefix(6)).log")
    }

    /// Removes the directory.
    func remove() { try? FileManager.default.removeItem(atPath: directory) }
}

/// A running `tribute serve`.
struct ServerProcess: Sendable {
    let process: ChildProcess
    let port: Int
    var baseURL: String { "http://127.0.0.1:\(port)" }

    struct DidNotStart: Error, CustomStringConvertible {
        let log: String
        var description: String { "tribute serve did not start: \(log.suffix(2_000))" }
    }

    static func start(binary: String, database: String, port: Int, log: String) async throws -> ServerProcess {
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let process = try ChildProcess(binary, ["serve", "--port", String(port), "--database", database], output: log, error: log + ".err")
        // At most 30 s: a first start migrates the database on a busy machine.
        for _ in 0..<600 {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if let range = text.range(of: "listening on http://127.0.0.1:") {
                let digits = text[range.upperBound...].prefix { $0.isNumber }
                if let bound = Int(digits) { return ServerProcess(process: process, port: bound) }
            }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        throw DidNotStart(log: ((try? String(contentsOfFile: log + ".err", encoding: .utf8)) ?? ""))
    }

    /// Stops the server (`SIGKILL`: no request is answered after this) and waits for it to exit.
    func stop() async {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        for _ in 0..<400 where process.isRunning { try? await Task.sleep(for: .milliseconds(25)) }
    }
}

/// Runs `body` against a fresh server with the workspace `acme` on the prepaid plan (0.1
/// credit an action) with 100 credits, and stops the server afterwards, whatever happens.
func withServer<T>(_ body: (ServerProcess, Admin) async throws -> T) async throws -> T {
    let sandbox = try await Sandbox.make()
    let server = try await sandbox.serve()
    do {
        let admin = Admin(baseURL: server.baseURL, key: sandbox.adminKey)
        try await admin.createWorkspace("acme", credits: "100")
        let result = try await body(server, admin)
        await server.stop()
        sandbox.remove()
        return result
    } catch {
        await server.stop()
        throw error
    }
}
