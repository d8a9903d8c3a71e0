import Foundation
import TributeCore
import TributeStore

/// Backends the conformance suite runs on. Every test of the suite takes one.
public enum Backend: String, CaseIterable, Sendable {
    case sqlite
    case postgres

    public static let testClockStart = ISOTime.parse("2026-03-10T12:00:00Z")!

    /// A new, empty store: a new SQLite file, or a new PostgreSQL database on the cluster
    /// that `TRIBUTE_TEST_POSTGRES_URL` names (`scripts/test.sh` starts one).
    public func makeStore(clock: ManualClock = ManualClock(millis: Backend.testClockStart)) async throws -> (any TributeStore, ManualClock) {
        switch self {
        case .sqlite: return (try Backend.makeSQLiteStore(clock: clock), clock)
        case .postgres: return (try await Backend.makePostgresStore(clock: clock), clock)
        }
    }

    public static func makeSQLiteStore(clock: ManualClock = ManualClock(millis: Backend.testClockStart)) throws -> SQLiteStore {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tribute-test-" + Identifier.randomBase62(count: 10)).path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return try SQLiteStore(path: dir + "/test.sqlite", clock: clock)
    }

    /// The database deadline of test stores: long, since many suites share one cluster on a
    /// small machine; the outage test sets its own.
    public static let postgresTimeoutSeconds: Int64 = 60

    /// A store on a database of its own, created for it and migrated.
    public static func makePostgresStore(clock: ManualClock = ManualClock(millis: Backend.testClockStart)) async throws -> PostgresStore {
        let url = try await TestPostgres.newDatabase()
        let store = try PostgresStore(url: url, clock: clock, timeoutSeconds: postgresTimeoutSeconds)
        await store.start()
        try await store.migrate()
        return store
    }
}

/// The PostgreSQL cluster of the test run.
public enum TestPostgres {
    public struct NotConfigured: Error, CustomStringConvertible {
        public var description: String { "TRIBUTE_TEST_POSTGRES_URL is not set: run the tests with scripts/test.sh, which starts a PostgreSQL cluster" }
    }

    /// The cluster's admin URL (its `postgres` database).
    public static func adminURL() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["TRIBUTE_TEST_POSTGRES_URL"], !url.isEmpty else { throw NotConfigured() }
        return url
    }

    private static let admin: PostgresStore? = (try? adminURL()).flatMap { try? PostgresStore(url: $0, timeoutSeconds: Backend.postgresTimeoutSeconds) }

    /// Creates an empty database and returns its URL.
    public static func newDatabase() async throws -> String {
        guard let admin else { throw NotConfigured() }
        await admin.start()
        let name = "tribute_test_" + Identifier.randomBase62(count: 12).lowercased()
        try await admin.executeOutsideTransaction(sql: "CREATE DATABASE \(name)")
        let url = try adminURL()
        guard let slash = url.lastIndex(of: "/") else { throw NotConfigured() }
        return url[..<slash] + "/" + name
    }
}
