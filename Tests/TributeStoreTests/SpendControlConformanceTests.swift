import Testing
import TributeCore
import TributeStore
import TributeTestSupport

/// SPEC §3.7 on every backend: `key:` and `workspace` budgets, day and week windows that
/// roll on the clock (UTC midnight, Monday), a hold open across a roll, and exact caps under
/// a thousand concurrent calls.
@Suite struct SpendControlConformanceTests {
    static let everyone: @Sendable (String) -> Bool = { _ in true }

    static func millis(_ text: String) throws -> Int64 { try #require(ISOTime.parse(text)) }

    /// A prepaid workspace (0.1 credit an action) made at `time`, with 100 credits.
    static func setUp(_ backend: Backend, at time: String) async throws -> (any TributeStore, ManualClock) {
        let (store, clock) = try await backend.makeStore(clock: ManualClock(millis: try millis(time)))
        try await store.makeWorkspace("w", credits: Amount(units: 100))
        return (store, clock)
    }

    static func call(_ store: any TributeStore, actions: Int64 = 1, keyId: String? = nil) async throws -> AuthorizeOutcome {
        var request = AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM", costMultiplier: Amount(units: actions))
        request.keyId = keyId
        return try await store.authorize(request, idempotency: nil)
    }

    static func budget(_ store: any TributeStore, _ scope: BudgetScope) async throws -> BudgetView {
        try #require(try await store.budgets(workspaceId: "w").first { $0.budget.scope == scope })
    }

    @Test(arguments: Backend.allCases)
    func aWorkspaceDayBudgetRollsAtUTCMidnightAndNamesItselfWhenItRefuses(backend: Backend) async throws {
        let (store, clock) = try await Self.setUp(backend, at: "2026-12-07T23:00:00Z")
        _ = try await store.putBudget(workspaceId: "w", scope: .workspace, limit: Amount(units: 3), unit: .actions, period: .day)
        for _ in 0..<3 { #expect(try await Self.call(store).approved) }
        let refused = try await Self.call(store)
        #expect(!refused.approved && field(refused.body, "reason")?.stringValue == "BUDGET_EXCEEDED")
        #expect(field(refused.body, "budgetScope")?.stringValue == "workspace")
        var view = try await Self.budget(store, .workspace)
        let midnight = try Self.millis("2026-12-08T00:00:00Z") / 1000
        #expect(view.budget.used == Amount(units: 3) && view.budget.remaining == .zero && view.resetsAt == midnight)
        clock.advance(seconds: 3_600)
        #expect(try await Self.call(store).approved)
        view = try await Self.budget(store, .workspace)
        #expect(view.budget.used == Amount(units: 1) && view.resetsAt == midnight + 86_400)
        _ = try await store.expectLedgerHolds()
    }

    @Test(arguments: Backend.allCases)
    func aWeekBudgetRollsOnMondayAndAMonthBudgetAtThePeriodsEnd(backend: Backend) async throws {
        // 2026-12-13 is a Sunday.
        let (store, clock) = try await Self.setUp(backend, at: "2026-12-13T23:59:00Z")
        _ = try await store.putBudget(workspaceId: "w", scope: BudgetScope(kind: .user, id: "ann"), limit: Amount(units: 2), unit: .actions, period: .week)
        _ = try await store.putBudget(workspaceId: "w", scope: BudgetScope(kind: .agent, id: "bot"), limit: Amount(units: 2), unit: .actions, period: .month)
        var request = AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM", userId: "ann", agentId: "bot", costMultiplier: Amount(units: 2))
        #expect(try await store.authorize(request, idempotency: nil).approved)
        let monday = try Self.millis("2026-12-14T00:00:00Z") / 1000
        #expect(try await Self.budget(store, BudgetScope(kind: .user, id: "ann")).resetsAt == monday)
        let period = try await store.workspace(id: "w").period
        #expect(try await Self.budget(store, BudgetScope(kind: .agent, id: "bot")).resetsAt == period.end)
        // Both full: the narrower scope is named first (user before agent).
        request.costMultiplier = .one
        let refused = try await store.authorize(request, idempotency: nil)
        #expect(field(refused.body, "budgetScope")?.stringValue == "user:ann")
        clock.advance(seconds: 60)
        // Monday: the week's budget starts afresh, the month's does not.
        let onMonday = try await store.authorize(request, idempotency: nil)
        #expect(!onMonday.approved && field(onMonday.body, "budgetScope")?.stringValue == "agent:bot")
        #expect(try await Self.budget(store, BudgetScope(kind: .user, id: "ann")).budget.used == .zero)
        clock.set(millis: period.end * 1000)
        #expect(try await store.authorize(request, idempotency: nil).approved)
    }

    @Test(arguments: Backend.allCases)
    func aKeyBudgetCountsOnlyThatKeysCalls(backend: Backend) async throws {
        let (store, _) = try await Self.setUp(backend, at: "2026-12-07T10:00:00Z")
        _ = try await store.putBudget(workspaceId: "w", scope: BudgetScope(kind: .key, id: "key_a"), limit: Amount(units: 2), unit: .credits, period: .day)
        // 10 actions at 0.1 credit: 1 credit each.
        #expect(try await Self.call(store, actions: 10, keyId: "key_a").approved)
        #expect(try await Self.call(store, actions: 10, keyId: "key_a").approved)
        let refused = try await Self.call(store, actions: 10, keyId: "key_a")
        #expect(!refused.approved && field(refused.body, "budgetScope")?.stringValue == "key:key_a")
        #expect(try await Self.call(store, actions: 10, keyId: "key_b").approved)
        #expect(try await Self.call(store, actions: 10).approved)
        #expect(try await Self.budget(store, BudgetScope(kind: .key, id: "key_a")).budget.used == Amount(units: 2))
    }

    @Test(arguments: Backend.allCases)
    func aHoldOpenAcrossMidnightCountsInTheDayItWasHeld(backend: Backend) async throws {
        let (store, clock) = try await Self.setUp(backend, at: "2026-12-07T23:50:00Z")
        _ = try await store.putBudget(workspaceId: "w", scope: .workspace, limit: Amount(units: 10), unit: .actions, period: .day)
        let first = try await store.hold(HoldRequest(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM", costMultiplier: Amount(units: 5)), ttlSeconds: 3_600), idempotency: nil)
        let second = try await store.hold(HoldRequest(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM", costMultiplier: Amount(units: 4)), ttlSeconds: 3_600), idempotency: nil)
        // Held: the day's budget counts both until they are committed or released.
        #expect(try await Self.budget(store, .workspace).budget.used == Amount(units: 9))
        #expect(!(try await Self.call(store, actions: 2)).approved)
        let (firstId, secondId) = (try #require(field(first.body, "holdId")?.stringValue), try #require(field(second.body, "holdId")?.stringValue))
        clock.advance(seconds: 20 * 60)
        // A new day: what the holds hold counted in the day before, not in this one.
        #expect(try await Self.budget(store, .workspace).budget.used == .zero)
        #expect(try await Self.call(store, actions: 8).approved)
        _ = try await store.commitHold(HoldCommit(holdId: firstId, actual: .actions(Amount(units: 2))), canAccess: Self.everyone, idempotency: nil)
        _ = try await store.releaseHold(id: secondId, canAccess: Self.everyone, idempotency: nil)
        // The commit and the release change nothing in the new day's window.
        #expect(try await Self.budget(store, .workspace).budget.used == Amount(units: 8))
        #expect(try await Self.call(store, actions: 2).approved)
        #expect(!(try await Self.call(store)).approved)
        _ = try await store.expectLedgerHolds()
    }

    @Test(arguments: Backend.allCases)
    func aCommitReversedTheDayAfterItsHoldGivesTheNewDayNothing(backend: Backend) async throws {
        let (store, clock) = try await Self.setUp(backend, at: "2026-12-07T23:50:00Z")
        _ = try await store.putBudget(workspaceId: "w", scope: .workspace, limit: Amount(units: 10), unit: .actions, period: .day)
        let held = try await store.hold(HoldRequest(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM", costMultiplier: Amount(units: 5)), ttlSeconds: 3_600),
                                        idempotency: nil)
        clock.advance(seconds: 20 * 60)
        let committed = try await store.commitHold(HoldCommit(holdId: try #require(field(held.body, "holdId")?.stringValue), actual: nil), canAccess: Self.everyone, idempotency: nil)
        #expect(try await Self.call(store, actions: 8).approved)
        _ = try await store.reverseTransaction(id: try #require(field(committed.body, "transactionId")?.stringValue), reason: "test")
        // The commit counted in the day before: today's 8 stay, so 3 more are refused.
        #expect(try await Self.budget(store, .workspace).budget.used == Amount(units: 8))
        #expect(!(try await Self.call(store, actions: 3)).approved)
        _ = try await store.expectLedgerHolds()
    }

    @Test(arguments: Backend.allCases)
    func aHoldCommittedInTheSameDayGivesBackWhatItDidNotCharge(backend: Backend) async throws {
        let (store, _) = try await Self.setUp(backend, at: "2026-12-07T12:00:00Z")
        _ = try await store.putBudget(workspaceId: "w", scope: .workspace, limit: Amount(units: 10), unit: .actions, period: .day)
        let held = try await store.hold(HoldRequest(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM", costMultiplier: Amount(units: 6))), idempotency: nil)
        let holdId = try #require(field(held.body, "holdId")?.stringValue)
        _ = try await store.commitHold(HoldCommit(holdId: holdId, actual: .actions(Amount(units: 1))), canAccess: Self.everyone, idempotency: nil)
        #expect(try await Self.budget(store, .workspace).budget.used == Amount(units: 1))
    }

    /// A thousand calls at once against a `key:` budget, then a thousand against the
    /// workspace's day budget: exactly what the caps allow is charged.
    @Test(arguments: Backend.allCases)
    func aThousandConcurrentCallsChargeExactlyWhatTheCapsAllow(backend: Backend) async throws {
        let (store, _) = try await Self.setUp(backend, at: "2026-12-07T12:00:00Z")
        _ = try await store.putBudget(workspaceId: "w", scope: BudgetScope(kind: .key, id: "agent_key"), limit: Amount(units: 37), unit: .actions, period: .day)
        _ = try await store.putBudget(workspaceId: "w", scope: .workspace, limit: Amount(units: 60), unit: .actions, period: .day)
        func burst(keyId: String?) async throws -> (approved: Int, scopes: Set<String>) {
            try await withThrowingTaskGroup(of: (Bool, String?).self) { group in
                for _ in 0..<1_000 {
                    group.addTask {
                        let outcome = try await Self.call(store, keyId: keyId)
                        return (outcome.approved, field(outcome.body, "budgetScope")?.stringValue)
                    }
                }
                var approved = 0, scopes = Set<String>()
                for try await (ok, scope) in group {
                    if ok { approved += 1 } else { scopes.insert(scope ?? "none") }
                }
                return (approved, scopes)
            }
        }
        let keyed = try await burst(keyId: "agent_key")
        #expect(keyed.approved == 37 && keyed.scopes == ["key:agent_key"])
        let rest = try await burst(keyId: nil)
        #expect(rest.approved == 23 && rest.scopes == ["workspace"])
        #expect(try await store.workspace(id: "w").remainingBalance == Amount(units: 94))
        _ = try await store.expectLedgerHolds()
    }

    @Test(arguments: Backend.allCases)
    func theLastActiveAdminKeyCannotBeFrozen(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        let first = try await store.createAPIKey(role: .admin, workspaceIds: [], name: "first")
        await #expect(throws: TributeError.self) { try await store.updateAPIKey(id: first.0.id, patch: APIKeyPatch(status: .frozen)) }
        let second = try await store.createAPIKey(role: .admin, workspaceIds: [], name: "second")
        #expect(try await store.updateAPIKey(id: first.0.id, patch: APIKeyPatch(status: .frozen)).status == .frozen)
        await #expect(throws: TributeError.self) { try await store.updateAPIKey(id: second.0.id, patch: APIKeyPatch(status: .frozen)) }
        // A service key is never the last admin.
        let service = try await store.createAPIKey(role: .service, workspaceIds: [], name: "agent")
        #expect(try await store.updateAPIKey(id: service.0.id, patch: APIKeyPatch(status: .frozen)).status == .frozen)
    }

    @Test(arguments: Backend.allCases)
    func aFrozenKeyIsNoPrincipalUntilThawed(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        let issued = try await store.createAPIKey(role: .service, workspaceIds: [], name: "agent")
        #expect(try await store.principal(secret: issued.secret)?.frozen == false)
        let frozen = try await store.updateAPIKey(id: issued.0.id, patch: APIKeyPatch(status: .frozen))
        #expect(frozen.status == .frozen)
        #expect(try await store.principal(secret: issued.secret)?.frozen == true)
        #expect(try await store.apiKeys().first { $0.id == issued.0.id }?.status == .frozen)
        _ = try await store.updateAPIKey(id: issued.0.id, patch: APIKeyPatch(status: .active))
        #expect(try await store.principal(secret: issued.secret)?.frozen == false)
    }
}
