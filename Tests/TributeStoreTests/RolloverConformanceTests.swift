import Testing
import TributeCore
import TributeStore
import TributeTestSupport

/// Allowance rollover on every backend (SPEC §3.9, docs/credits.md): the close runs once per
/// workspace and period whoever runs it (a call, the sweeper, two instances at once), its
/// carry is spent first, and a hold open across the close keeps what it took and offers
/// its allowance to that close's carry when it gives it back.
@Suite struct RolloverConformanceTests {
    static let everyone = HoldConformanceTests.everyone
    /// 100 actions a month; half of what is left carries, at most 80, for two periods.
    static let plan = Plan(id: "roll", name: "Rollover", monthlyAllowance: Amount(units: 100), overagePolicy: .block, overageRate: .zero, priceCents: 0,
                           rollover: RolloverTerms(fraction: Amount(micros: 500_000), maxCarry: Amount(units: 80), expiresAfterPeriods: 2))

    /// A workspace `w` on the rollover plan, anchored on the clock's day.
    static func workspace(_ store: any TributeStore) async throws -> WorkspaceView {
        _ = try await store.putPlan(plan)
        return try await store.createWorkspace(WorkspaceDraft(id: "w", name: "w", planId: plan.id, anchorDate: nil))
    }

    static func use(_ store: any TributeStore, _ actions: Int64) async throws -> AuthorizeOutcome {
        try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM", costMultiplier: Amount(units: actions)), idempotency: nil)
    }

    /// The allowance transactions of the workspace (its creation's issue and its closes).
    static func closes(_ store: any TributeStore) async throws -> Int {
        try await store.transactions(workspaceId: "w", limit: 200, cursor: nil).items.filter { $0.kind == LedgerTransaction.Kind.allowanceReset.rawValue }.count
    }

    @Test(arguments: Backend.allCases)
    func theSweeperClosesOnceAndTheCarryIsSpentFirst(backend: Backend) async throws {
        let (store, clock) = try await backend.makeStore()
        let view = try await Self.workspace(store)
        #expect(try await Self.use(store, 30).approved)
        #expect(try await store.closePeriods(limit: 10) == 0, "the period has not ended")
        clock.set(millis: view.period.end * 1000 + 1_000)
        #expect(try await store.closePeriods(limit: 10) == 1)
        #expect(try await store.closePeriods(limit: 10) == 0, "closed already")
        let closed = try await store.workspace(id: "w")
        #expect(closed.period.start == view.period.end)
        #expect(closed.rollover.map(\.amount) == [Amount(units: 35)] && closed.remainingAllowance == Amount(units: 135))
        #expect(try await Self.closes(store) == 2)
        // The carry goes first; what is left of the call comes from the fresh allowance.
        #expect(try await Self.use(store, 40).approved)
        let spent = try await store.workspace(id: "w")
        #expect(spent.rollover.isEmpty && spent.remainingAllowance == Amount(units: 95))
        _ = try await store.expectLedgerHolds()
        // A call after the next boundary closes lazily, exactly as the sweeper would have.
        clock.set(millis: spent.period.end * 1000 + 1_000)
        #expect(try await Self.use(store, 1).approved)
        #expect(try await store.closePeriods(limit: 10) == 0)
        let next = try await store.workspace(id: "w")
        #expect(next.rollover.map(\.amount) == [Amount(units: 46)] && next.remainingAllowance == Amount(units: 146), "floor(95 × 0.5), less the call")
        #expect(try await Self.closes(store) == 3)
        _ = try await store.expectLedgerHolds()
    }

    /// Calls and sweeps at once, on one SQLite store or on two PostgreSQL instances of one
    /// database.
    @Test(arguments: Backend.allCases)
    func callsAndSweepsRacingAtTheBoundaryCloseOnce(backend: Backend) async throws {
        let clock = ManualClock(millis: Backend.testClockStart)
        var stores: [any TributeStore] = []
        switch backend {
        case .sqlite:
            stores = [try Backend.makeSQLiteStore(clock: clock)]
        case .postgres:
            let url = try await TestPostgres.newDatabase()
            for _ in 0..<2 {
                let instance = try PostgresStore(url: url, clock: clock, timeoutSeconds: Backend.postgresTimeoutSeconds)
                await instance.start()
                stores.append(instance)
            }
            try await (stores[0] as? PostgresStore)?.migrate()
        }
        let store = stores[0]
        let view = try await Self.workspace(store)
        clock.set(millis: view.period.end * 1000 + 1_000)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<40 {
                let store = stores[index % stores.count]
                group.addTask {
                    if index % 2 == 0 { _ = try await store.closePeriods(limit: 10) } else { _ = try await Self.use(store, 1) }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await Self.closes(store) == 2, "one issue at creation, one close")
        let after = try await store.workspace(id: "w")
        // 50 carried, 20 of it spent by the calls.
        #expect(after.rollover.map(\.amount) == [Amount(units: 30)] && after.remainingAllowance == Amount(units: 130))
        _ = try await store.expectLedgerHolds()
    }

    @Test(arguments: Backend.allCases)
    func aHoldOpenAcrossTheCloseKeepsWhatItTookAndOffersItToTheCarry(backend: Backend) async throws {
        let (store, clock) = try await backend.makeStore()
        let view = try await Self.workspace(store)
        clock.set(millis: (view.period.end - 60) * 1000)
        guard let released = try await HoldConformanceTests.hold(store, multiplier: Amount(units: 20), ttlSeconds: 600).holdId,
              let committed = try await HoldConformanceTests.hold(store, multiplier: Amount(units: 10), ttlSeconds: 600).holdId else {
            Issue.record("no hold"); return
        }
        clock.advance(seconds: 120)
        #expect(try await store.closePeriods(limit: 10) == 1)
        // 70 left unused: 35 carried; the holds keep their 30.
        var now = try await store.workspace(id: "w")
        #expect(now.rollover.map(\.amount) == [Amount(units: 35)] && now.heldAllowance == Amount(units: 30))
        // Released after the close: half of its 20 joins the closed period's carry.
        let release = try await store.releaseHold(id: released, canAccess: Self.everyone, idempotency: nil)
        #expect(release.approved)
        now = try await store.workspace(id: "w")
        #expect(now.rollover.map(\.amount) == [Amount(units: 45)] && now.remainingAllowance == Amount(units: 145))
        // Committed in part: the 7 actions it did not use carry as floor(7 × 0.5).
        #expect(try await HoldConformanceTests.commit(store, committed, .actions(Amount(units: 3))).approved)
        now = try await store.workspace(id: "w")
        #expect(now.rollover.map(\.amount) == [Amount(units: 48)] && now.remainingAllowance == Amount(units: 148) && now.heldAllowance == .zero)
        _ = try await store.expectLedgerHolds()
    }

    @Test(arguments: Backend.allCases)
    func theCarryLapsesAtItsBoundaryAndStackingStopsAtTheCap(backend: Backend) async throws {
        let (store, clock) = try await backend.makeStore()
        var view = try await Self.workspace(store)
        var held: [Amount] = []
        for _ in 0..<4 {
            clock.set(millis: view.period.end * 1000 + 1_000)
            _ = try await store.closePeriods(limit: 10)
            view = try await store.workspace(id: "w")
            held.append(view.rollover.reduce(.zero) { $0 + $1.amount })
            #expect(view.remainingAllowance == Amount(units: 100) + held.last!)
        }
        // 50; then 30 more to the cap of 80; then the first lapses and 50 comes again.
        #expect(held == [Amount(units: 50), Amount(units: 80), Amount(units: 80), Amount(units: 80)])
        _ = try await store.expectLedgerHolds()
    }

    /// Statements show the allowance with its rollover: what each close carried out of a
    /// period is what the next period carried in.
    @Test(arguments: Backend.allCases)
    func statementsCarryTheRolloverOutOfOnePeriodIntoTheNext(backend: Backend) async throws {
        let (store, clock) = try await backend.makeStore()
        let view = try await Self.workspace(store)
        #expect(try await Self.use(store, 30).approved)
        clock.set(millis: view.period.end * 1000 + 300_000)
        let first = try await store.statements(workspaceId: "w")
        #expect(first.count == 1)
        let next = BillingPeriod.containing(view.period.end, anchor: view.anchorDate)
        clock.set(millis: next.end * 1000 + 300_000)
        let statements = try await store.statements(workspaceId: "w")
        #expect(statements.count == 2 && statements.first == first.first, "the first never changes")
        func allowance(_ stored: StoredStatement) throws -> [String: JSON] {
            try #require(try JSON.parse(Array(stored.body.utf8)).objectValue?["allowance"]?.objectValue)
        }
        let one = try allowance(statements[0]), two = try allowance(statements[1])
        #expect(one["rolloverIn"] == .number("0") && one["rolloverOut"] == .number("35") && one["used"] == .number("30"))
        // Out of the second: the first's 35, still good, and min(80 − 35, floor(100 × 0.5)) = 45.
        #expect(two["rolloverIn"] == .number("35") && two["rolloverOut"] == .number("80"))
        #expect(try await store.verifyLedger().firstViolation == nil)
    }
}
