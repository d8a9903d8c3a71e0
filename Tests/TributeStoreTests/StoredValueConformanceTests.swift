import Testing
import TributeCore
@testable import TributeStore
import TributeTestSupport

/// A stored value that no code writes (a hand edit, a bad restore, a newer version's value)
/// fails the read that meets it, on every backend: never a default that would hide it
/// (`?? .suspended`, a skipped row, a key that reads as unknown).
@Suite struct StoredValueConformanceTests {
    /// What a read returns, reduced to whether it came back.
    enum Read: String, Sendable, CaseIterable {
        case workspace, plans, decisions, apiKeys, principal, purchases, webhookEndpoints, webhookDeliveries, budgets, events
    }

    struct Corruption: Sendable, CustomStringConvertible {
        var table: String
        var column: String
        /// What is written into every row of the column, past the schema's CHECK.
        var stored: String
        /// The value the fault names, when it is not all of `stored`.
        var named: String?
        var read: Read
        var description: String { "\(table).\(column) = '\(stored)', read by \(read)" }
    }

    static let corruptions: [Corruption] = [
        Corruption(table: "workspaces", column: "status", stored: "frozen", read: .workspace),
        Corruption(table: "workspaces", column: "anchor_date", stored: "someday", read: .workspace),
        Corruption(table: "plans", column: "overage_policy", stored: "forgive", read: .plans),
        Corruption(table: "plans", column: "overage_policy", stored: "forgive", read: .workspace),
        Corruption(table: "decisions", column: "reason", stored: "LUCKY", read: .decisions),
        Corruption(table: "api_keys", column: "role", stored: "root", read: .apiKeys),
        Corruption(table: "api_keys", column: "role", stored: "root", read: .principal),
        Corruption(table: "api_keys", column: "workspace_ids", stored: "w", read: .apiKeys),
        Corruption(table: "purchases", column: "status", stored: "refunded", read: .purchases),
        Corruption(table: "webhook_endpoints", column: "event_types", stored: "credits.purchased,telepathy", named: "telepathy", read: .webhookEndpoints),
        Corruption(table: "webhook_deliveries", column: "status", stored: "lost", read: .webhookDeliveries),
        Corruption(table: "events", column: "type", stored: "telepathy", read: .webhookDeliveries),
        Corruption(table: "budgets", column: "unit", stored: "minutes", read: .budgets),
        Corruption(table: "budgets", column: "period", stored: "fortnight", read: .budgets),
    ]

    /// A store with a row in every table the corruptions edit, each read fine before.
    static func storeWithEveryRow(_ backend: Backend) async throws -> (any TributeStore, keySecret: String, endpointId: String) {
        let (store, _) = try await backend.makeStore()
        let (endpoint, _) = try await store.createWebhookEndpoint(url: "http://127.0.0.1:9/hook", eventTypes: [.creditsPurchased], description: nil)
        try await store.makeWorkspace("w", credits: Amount(units: 5))
        _ = try await store.putBudget(workspaceId: "w", scope: BudgetScope(kind: .user, id: "u"), limit: Amount(units: 5), unit: .actions, period: .month)
        _ = try await store.authorize(AuthorizeRequest(workspaceId: "w", actionType: "SIMPLE_LLM", userId: "u"), idempotency: nil)
        let purchase = try await store.attachPaymentIntent(
            purchaseId: try await store.createPurchase(workspaceId: "w", packageId: "starter").id, paymentIntentId: "pi_stored_values")
        _ = try await store.applyPayment(.succeeded(
            paymentIntentId: "pi_stored_values", purchaseId: purchase.id, amountReceivedCents: purchase.amountCents, currency: purchase.currency))
        let (_, secret) = try await store.createAPIKey(role: .service, workspaceIds: ["w"], name: "bot")
        return (store, secret, endpoint.id)
    }

    /// Runs `read`, which must come back.
    static func perform(_ read: Read, on store: any TributeStore, keySecret: String, endpointId: String) async throws {
        switch read {
        case .workspace: _ = try await store.workspace(id: "w")
        case .plans: _ = try await store.plans()
        case .decisions: #expect(try await store.decisions(workspaceId: "w", limit: 10, cursor: nil, approved: nil).items.count == 1)
        case .apiKeys: #expect(try await store.apiKeys().count == 1)
        case .principal: #expect(try await store.principal(secret: keySecret) != nil)
        case .purchases: #expect(try await store.purchases(workspaceId: "w", limit: 10, cursor: nil).items.count == 1)
        case .webhookEndpoints: #expect(try await store.webhookEndpoints().count == 1)
        case .webhookDeliveries: #expect(try await store.webhookDeliveries(endpointId: endpointId, limit: 10, cursor: nil).items.count == 1)
        case .budgets: #expect(try await store.budgets(workspaceId: "w").count == 1)
        case .events: #expect(try await store.events(workspaceId: "w", afterSeq: 0, limit: 10).count == 1)
        }
    }

    /// Writes `value` into every row of `table.column` past the store and past the schema's
    /// CHECK on the column, as a hand edit or a newer version could leave it.
    static func write(_ value: String, into table: String, column: String, of store: any TributeStore) async throws {
        switch store {
        case let sqlite as SQLiteStore:
            try await sqlite.executeUnchecked(sql: """
                PRAGMA ignore_check_constraints = ON; UPDATE \(table) SET \(column) = '\(value)'; PRAGMA ignore_check_constraints = OFF
                """)
        case let postgres as PostgresStore:
            try await postgres.executeUnchecked(sql: "ALTER TABLE \(table) DROP CONSTRAINT IF EXISTS \(table)_\(column)_check")
            try await postgres.executeUnchecked(sql: "UPDATE \(table) SET \(column) = '\(value)'")
        default:
            Issue.record("a backend without raw SQL")
        }
    }

    @Test(arguments: Backend.allCases, corruptions)
    func aValueNoCodeWritesFailsTheReadInsteadOfReadingAsADefault(backend: Backend, corruption: Corruption) async throws {
        let (store, secret, endpointId) = try await Self.storeWithEveryRow(backend)
        // A verified key is served from the store's cache for a few seconds, as designed:
        // the key is first read after the edit.
        if corruption.read != .principal { try await Self.perform(corruption.read, on: store, keySecret: secret, endpointId: endpointId) }
        try await Self.write(corruption.stored, into: corruption.table, column: corruption.column, of: store)
        let fault = await #expect(throws: StoreFault.self) {
            try await Self.perform(corruption.read, on: store, keySecret: secret, endpointId: endpointId)
        }
        guard case .unknownValue(let column, let value)? = fault else {
            Issue.record("\(String(describing: fault)) is no unknown value")
            return
        }
        #expect(column == "\(corruption.table).\(corruption.column)")
        #expect(value == corruption.named ?? corruption.stored)
    }

    /// An outbox event whose body is no event Tribute writes is a fault, not a gap in the
    /// stream.
    @Test(arguments: Backend.allCases)
    func anEventBodyNoCodeWritesFailsTheRead(backend: Backend) async throws {
        let (store, secret, endpointId) = try await Self.storeWithEveryRow(backend)
        try await Self.perform(.events, on: store, keySecret: secret, endpointId: endpointId)
        try await Self.write("{}", into: "events", column: "body", of: store)
        let fault = await #expect(throws: StoreFault.self) { try await store.events(workspaceId: "w", afterSeq: 0, limit: 10) }
        guard case .unknownValue(let column, _)? = fault else {
            Issue.record("\(String(describing: fault)) is no unknown value")
            return
        }
        #expect(column == "events.body")
    }
}
