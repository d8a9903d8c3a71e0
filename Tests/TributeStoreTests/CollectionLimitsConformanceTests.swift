import Testing
import TributeCore
import TributeStore
import TributeTestSupport

/// SPEC §3.3 on every backend: nothing a caller makes grows without bound. Budgets per
/// workspace, webhook endpoints and API keys have caps, checked in the transaction that
/// inserts, so callers at once cannot pass them together; budgets are read a page at a time.
@Suite struct CollectionLimitsConformanceTests {
    static func scope(_ index: Int) -> BudgetScope { BudgetScope(kind: .user, id: "u\(index)") }

    static func put(_ store: any TributeStore, _ scope: BudgetScope, limit: Int64 = 10, maxBudgets: Int) async throws -> BudgetView {
        try await store.putBudget(workspaceId: "w", scope: scope, limit: Amount(units: limit), unit: .credits, period: .month, maxBudgets: maxBudgets)
    }

    /// Exactly the cap is accepted; one more is `too_many_budgets` and writes nothing; new
    /// terms for a budget it has are still accepted; a deletion makes room again.
    @Test(arguments: Backend.allCases)
    func aWorkspaceHoldsExactlyItsCapOfBudgets(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        try await store.makeWorkspace("w")
        try await store.makeWorkspace("other")
        for index in 0..<5 { _ = try await Self.put(store, Self.scope(index), maxBudgets: 5) }
        #expect(try await store.budgets(workspaceId: "w").count == 5)

        await #expect(throws: TributeError.tooManyBudgets(max: 5)) { _ = try await Self.put(store, Self.scope(5), maxBudgets: 5) }
        #expect(TributeError.tooManyBudgets(max: 5).code == "too_many_budgets")
        let stored = try await store.budgets(workspaceId: "w")
        #expect(stored.count == 5)
        #expect(!stored.contains { $0.budget.scope == Self.scope(5) })

        // At the cap, changing a budget it has is allowed, and another workspace has its own.
        #expect(try await Self.put(store, Self.scope(2), limit: 99, maxBudgets: 5).budget.limit == Amount(units: 99))
        _ = try await store.putBudget(workspaceId: "other", scope: Self.scope(5), limit: .one, unit: .actions, period: .lifetime, maxBudgets: 5)
        try await store.deleteBudget(workspaceId: "w", scope: Self.scope(0))
        _ = try await Self.put(store, Self.scope(5), maxBudgets: 5)
        #expect(try await store.budgets(workspaceId: "w").count == 5)
        _ = try await store.expectLedgerHolds()
    }

    /// Forty new budgets at once against a cap of ten: exactly ten are stored, thirty refused.
    @Test(arguments: Backend.allCases)
    func budgetsPutAtOnceNeverPassTheCap(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        try await store.makeWorkspace("w")
        let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<40 {
                group.addTask {
                    do {
                        _ = try await Self.put(store, Self.scope(index), maxBudgets: 10)
                        return true
                    } catch TributeError.tooManyBudgets(max: 10) {
                        return false
                    }
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 }.count == 10)
        #expect(outcomes.filter { !$0 }.count == 30)
        #expect(try await store.budgets(workspaceId: "w").count == 10)
    }

    /// Pages of 5 over 23 budgets give every budget once, in the order of their scopes; a
    /// page's cursor still works after its last budget is deleted; a cursor no page gave is
    /// `invalid_value`.
    @Test(arguments: Backend.allCases)
    func budgetPagesWalkEveryBudgetOnce(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        try await store.makeWorkspace("w")
        // Scopes of every kind, one long and one not ASCII: cursors carry any scope.
        var scopes = (0..<20).map { Self.scope($0) }
        scopes += [BudgetScope(kind: .agent, id: String(repeating: "a", count: 200)), BudgetScope(kind: .run, id: "nächtlich/1"), BudgetScope(kind: .user, id: "u+1 2")]
        for scope in scopes { _ = try await Self.put(store, scope, maxBudgets: 1_000) }

        var seen: [String] = []
        var cursor: String?
        var pages = 0
        repeat {
            let page = try await store.budgets(workspaceId: "w", limit: 5, cursor: cursor)
            #expect(page.items.count <= 5)
            #expect(page.nextCursor == nil || page.items.count == 5)
            seen += page.items.map(\.budget.scope.description)
            cursor = page.nextCursor
            pages += 1
        } while cursor != nil && pages < 10
        #expect(pages == 5)
        #expect(seen.count == scopes.count)
        #expect(Set(seen) == Set(scopes.map(\.description)))
        #expect(try await store.budgets(workspaceId: "w", limit: 500, cursor: nil).items.map(\.budget.scope.description) == seen)

        let first = try await store.budgets(workspaceId: "w", limit: 3, cursor: nil)
        let next = try #require(first.nextCursor)
        try await store.deleteBudget(workspaceId: "w", scope: try #require(first.items.last).budget.scope)
        let after = try await store.budgets(workspaceId: "w", limit: 500, cursor: next)
        #expect(after.items.map(\.budget.scope.description) == Array(seen.dropFirst(3)))
        #expect(after.nextCursor == nil)

        for bad in ["", "12", "!!", "dXNlcjo", String(repeating: "A", count: 400), "bm9zY29wZQ"] {
            await #expect(throws: TributeError.self, "\(bad)") { _ = try await store.budgets(workspaceId: "w", limit: 5, cursor: bad) }
        }
        await #expect(throws: TributeError.workspaceNotFound("nope")) { _ = try await store.budgets(workspaceId: "nope", limit: 5, cursor: nil) }
    }

    /// Live webhook endpoints stop at their cap, at once too; a deletion makes room.
    @Test(arguments: Backend.allCases)
    func webhookEndpointsStopAtTheirCap(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        let created = try await withThrowingTaskGroup(of: String?.self) { group in
            for index in 0..<8 {
                group.addTask {
                    do {
                        return try await store.createWebhookEndpoint(url: "https://hooks.example.com/\(index)", eventTypes: [], description: nil, maxEndpoints: 3).0.id
                    } catch TributeError.tooManyWebhookEndpoints(max: 3) {
                        return nil
                    }
                }
            }
            return try await group.reduce(into: [String]()) { if let id = $1 { $0.append(id) } }
        }
        #expect(created.count == 3)
        #expect(try await store.webhookEndpoints().count == 3)
        try await store.deleteWebhookEndpoint(id: created[0])
        _ = try await store.createWebhookEndpoint(url: "https://hooks.example.com/again", eventTypes: [], description: nil, maxEndpoints: 3)
        await #expect(throws: TributeError.tooManyWebhookEndpoints(max: 3)) {
            _ = try await store.createWebhookEndpoint(url: "https://hooks.example.com/more", eventTypes: [], description: nil, maxEndpoints: 3)
        }
        #expect(try await store.webhookEndpoints().count == 3)
    }

    /// Live API keys stop at their cap, at once too; a revocation makes room.
    @Test(arguments: Backend.allCases)
    func apiKeysStopAtTheirCap(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        try await store.makeWorkspace("w")
        let created = try await withThrowingTaskGroup(of: String?.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    do {
                        return try await store.createAPIKey(role: .viewer, workspaceIds: ["w"], name: nil, rateLimit: nil, maxKeys: 4).0.id
                    } catch TributeError.tooManyAPIKeys(max: 4) {
                        return nil
                    }
                }
            }
            return try await group.reduce(into: [String]()) { if let id = $1 { $0.append(id) } }
        }
        #expect(created.count == 4)
        #expect(try await store.apiKeys().count == 4)
        try await store.revokeAPIKey(id: created[0])
        _ = try await store.createAPIKey(role: .service, workspaceIds: [], name: nil, rateLimit: nil, maxKeys: 4)
        await #expect(throws: TributeError.tooManyAPIKeys(max: 4)) {
            _ = try await store.createAPIKey(role: .admin, workspaceIds: [], name: nil, rateLimit: nil, maxKeys: 4)
        }
        #expect(try await store.apiKeys().count == 4)
    }

    /// What a resume would replay, counted by index and no further than asked.
    @Test(arguments: Backend.allCases)
    func aStreamsBacklogIsCountedUpToItsLimit(backend: Backend) async throws {
        let (store, _) = try await backend.makeStore()
        try await store.makeWorkspace("w", credits: Amount(units: 100))
        try await store.makeWorkspace("other", credits: Amount(units: 100))
        for workspace in ["w", "other", "w", "w"] {
            _ = try await store.authorize(AuthorizeRequest(workspaceId: workspace, actionType: "SIMPLE_LLM"), idempotency: nil)
        }
        let start = StreamPosition(eventSeq: 0, decisionSeq: 0)
        let now = try await store.streamPosition(workspaceId: "w")
        #expect(try await store.streamBacklog(workspaceId: "w", after: start, upTo: now, limit: 100) == 3)
        #expect(try await store.streamBacklog(workspaceId: "w", after: start, upTo: now, limit: 2) == 2)
        #expect(try await store.streamBacklog(workspaceId: "w", after: now, upTo: now, limit: 100) == 0)
        await #expect(throws: TributeError.workspaceNotFound("nope")) {
            _ = try await store.streamBacklog(workspaceId: "nope", after: start, upTo: now, limit: 1)
        }
    }
}
