import Foundation
import TributeCore
import TributeStore

/// Backends the conformance suite runs on. Every test of the suite takes one.
enum Backend: String, CaseIterable, Sendable {
    case sqlite
    case postgres

    static let testClockStart = ISOTime.parse("2026-03-10T12:00:00Z")!

    /// A new, empty store: a new SQLite file, or a new PostgreSQL database on the cluster
    /// that `TRIBUTE_TEST_POSTGRES_URL` names (`scripts/test.sh` starts one).
    func makeStore(clock: ManualClock = ManualClock(millis: Backend.testClockStart)) async throws -> (any TributeStore, ManualClock) {
        switch self {
        case .sqlite: return (try Backend.makeSQLiteStore(clock: clock), clock)
        case .postgres: return (try await Backend.makePostgresStore(clock: clock), clock)
        }
    }

    static func makeSQLiteStore(clock: ManualClock = ManualClock(millis: Backend.testClockStart)) throws -> SQLiteStore {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tribute-test-" + Identifier.randomBase62(count: 10)).path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return try SQLiteStore(path: dir + "/test.sqlite", clock: clock)
    }

    /// A store on a database of its own, created for it and migrated.
    static func makePostgresStore(clock: ManualClock = ManualClock(millis: Backend.testClockStart)) async throws -> PostgresStore {
        let url = try await TestPostgres.newDatabase()
        let store = try PostgresStore(url: url, clock: clock)
        store.start()
        try await store.migrate()
        return store
    }
}

/// The PostgreSQL cluster of the test run.
enum TestPostgres {
    struct NotConfigured: Error, CustomStringConvertible {
        var description: String { "TRIBUTE_TEST_POSTGRES_URL is not set: run the tests with scripts/test.sh, which starts a PostgreSQL cluster" }
    }

    /// The cluster's admin URL (its `postgres` database).
    static func adminURL() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["TRIBUTE_TEST_POSTGRES_URL"], !url.isEmpty else { throw NotConfigured() }
        return url
    }

    private static let admin: PostgresStore? = {
        guard let url = try? adminURL(), let store = try? PostgresStore(url: url) else { return nil }
        store.start()
        return store
    }()

    /// Creates an empty database and returns its URL.
    static func newDatabase() async throws -> String {
        guard let admin else { throw NotConfigured() }
        let name = "tribute_test_" + Identifier.randomBase62(count: 12).lowercased()
        try await admin.executeOutsideTransaction(sql: "CREATE DATABASE \(name)")
        let url = try adminURL()
        guard let slash = url.lastIndex(of: "/") else { throw NotConfigured() }
        return url[..<slash] + "/" + name
    }
}

/// Reads a field of an authorize answer.
func field(_ body: String, _ name: String) -> JSON? {
    (try? JSON.parse(Array(body.utf8)))?.objectValue?[name]
}

func amountField(_ body: String, _ name: String) -> Amount? {
    guard case .number(let text)? = field(body, name) else { return nil }
    return try? Amount.parse(text)
}

extension TributeStore {
    /// A workspace on `plan` with `credits` granted.
    @discardableResult
    func makeWorkspace(_ id: String, plan: String = "prepaid", credits: Amount = .zero) async throws -> WorkspaceView {
        let view = try await createWorkspace(WorkspaceDraft(id: id, name: id, planId: plan, anchorDate: nil))
        if !credits.isZero { _ = try await grantCredits(workspaceId: id, grant: CreditGrantDraft(amount: credits, expiresAt: nil, note: nil)) }
        return view
    }

    func expectLedgerHolds() async throws -> LedgerReport {
        let report = try await verifyLedger()
        if let violation = report.firstViolation { throw LedgerBroken(violation: violation) }
        return report
    }
}

struct LedgerBroken: Error, CustomStringConvertible {
    let violation: String
    var description: String { "ledger broken: \(violation)" }
}
