import ArgumentParser
import Foundation
import TributeCore
import TributeStore

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure durable authorize-and-debit in process against a one-transaction-per-debit baseline (and, with --holds, hold + commit).")

    @Option(help: "Debits through the batching writer.") var debits = 40_000
    @Option(help: "Concurrent callers.") var concurrency = 256
    @Option(help: "Debits for the naive baseline.") var naiveDebits = 2_000
    @Option(help: "Directory for the throwaway databases (default: a new temporary one).") var directory: String?
    @Option(name: .long, help: "postgres://... to measure PostgreSQL instead (a bench workspace and two bench tables are added to it); default: throwaway SQLite files.")
    var database: String?
    @Flag(help: "Also measure hold then commit (same callers, as many pairs as debits) and print its rate beside the debit rate.")
    var holds = false

    func validate() throws {
        guard (1...10_000_000).contains(debits), (1...10_000).contains(concurrency), (1...1_000_000).contains(naiveDebits) else {
            throw ValidationError("counts must be positive and bounded")
        }
        if let database, !(database.hasPrefix("postgres://") || database.hasPrefix("postgresql://")) {
            throw ValidationError("--database takes a postgres:// URL; SQLite runs on throwaway files")
        }
    }

    func run() async throws {
        if let database {
            try await DatabaseURL.withStore(database) { store in
                guard let store = store as? PostgresStore else { return }
                let naive = try await PostgresNaiveBaseline(store: store, initialBalance: Int64(naiveDebits) * 1_000_000)
                try await measure(store, label: "PostgreSQL, one connection per naive debit in turn") {
                    _ = try await naive.debit(amount: 100_000, atMillis: 0)
                }
            }
            return
        }
        let dir = directory ?? NSTemporaryDirectory() + "tribute-bench-" + Identifier.randomBase62(count: 8)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { if directory == nil { try? FileManager.default.removeItem(atPath: dir) } }
        let store = try SQLiteStore(path: dir + "/bench.sqlite")
        let naive = try SQLiteNaiveBaseline(path: dir + "/naive.sqlite", initialBalance: Int64(naiveDebits) * 1_000_000)
        try await measure(store, label: "both WAL + synchronous=FULL") {
            _ = try naive.debit(amount: 100_000, atMillis: 0)
        }
    }

    /// Drives the batched debits through `store`, then `naiveDebits` calls of `naiveDebit`,
    /// verifies the ledger and prints the trackable line.
    private func measure(_ store: some TributeStore, label: String, naiveDebit: () async throws -> Void) async throws {
        let workspace = try await store.createWorkspace(WorkspaceDraft(id: "bench-" + Identifier.randomBase62(count: 8).lowercased(), name: "Bench", planId: "prepaid", anchorDate: nil))
        _ = try await store.grantCredits(workspaceId: workspace.id, grant: CreditGrantDraft(amount: Amount(units: 1_000_000_000), expiresAt: nil, note: nil))
        let request = AuthorizeRequest(workspaceId: workspace.id, actionType: "SIMPLE_LLM", userId: "bench-user")

        let perCaller = debits / concurrency
        let total = perCaller * concurrency
        let clock = ContinuousClock()
        let started = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    for _ in 0..<perCaller {
                        let outcome = try await store.authorize(request, idempotency: nil)
                        precondition(outcome.approved, "the bench workspace ran out of credits")
                    }
                }
            }
            try await group.waitForAll()
        }
        let batched = Double(total) / seconds(clock.now - started)

        let naiveStarted = clock.now
        for _ in 0..<naiveDebits { try await naiveDebit() }
        let naiveRate = Double(naiveDebits) / seconds(clock.now - naiveStarted)

        var holdRate: Double?
        if holds {
            let holdStarted = clock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<concurrency {
                    group.addTask {
                        for _ in 0..<perCaller { try await holdThenCommit(store, request) }
                    }
                }
                try await group.waitForAll()
            }
            holdRate = Double(total) / seconds(clock.now - holdStarted)
        }

        let report = try await store.verifyLedger()
        guard report.firstViolation == nil else { throw ValidationError("ledger verify failed after the bench: \(report.firstViolation!)") }
        print("in process: \(total) durable debits from \(concurrency) concurrent callers; naive: \(naiveDebits) debits, one transaction each; \(label)")
        print("bench: \(Int(batched)) debits/s in process, naive \(Int(naiveRate)) debits/s, ×\(String(format: "%.1f", batched / naiveRate))")
        if let holdRate {
            print("bench holds: \(Int(holdRate)) hold+commit pairs/s in process beside \(Int(batched)) debits/s: \(Int((100 * holdRate / batched).rounded())) % (SPEC §8: at least 50 %)")
        }
    }

    /// One hold of the call's estimate, then its commit at half of it: what an LLM caller
    /// does around each call.
    private func holdThenCommit(_ store: some TributeStore, _ request: AuthorizeRequest) async throws {
        let held = try await store.hold(HoldRequest(request, ttlSeconds: 300), idempotency: nil)
        guard held.approved, let holdId = (try? JSON.parse(Array(held.body.utf8)))?.objectValue?["holdId"]?.stringValue else {
            throw ValidationError("the bench workspace ran out of credits for holds: \(held.body)")
        }
        _ = try await store.commitHold(HoldCommit(holdId: holdId, actual: .costMultiplier(Amount(micros: 500_000))), canAccess: { _ in true }, idempotency: nil)
    }

    /// Timing only; no amount is ever a floating-point number.
    private func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
