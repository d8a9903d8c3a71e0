/// How many of each thing callers may make that the server keeps and lists (SPEC §3.3,
/// docs/limits.md): a store refuses one more past its cap, checked in the transaction that
/// would insert it, so callers at once cannot pass it together.
///
/// `tribute serve` reads `TRIBUTE_MAX_BUDGETS_PER_WORKSPACE`, `TRIBUTE_MAX_WEBHOOK_ENDPOINTS`
/// and `TRIBUTE_MAX_API_KEYS`. Dashboard sessions have their own fixed bound
/// (`DashboardSessionPolicy.maxPerKey`), live streams theirs (`LiveStreamSettings`).
public struct CollectionLimits: Sendable, Equatable {
    /// Budgets one workspace may have. Past it a new scope is `422 too_many_budgets`; new
    /// terms for an existing budget are always accepted.
    public var budgetsPerWorkspace: Int
    /// Live (not deleted) webhook endpoints. Every event is queued once per endpoint that
    /// wants it, so this also bounds what one event writes.
    public var webhookEndpoints: Int
    /// Live (not revoked) API keys.
    public var apiKeys: Int

    /// The range every cap is configured in.
    public static let configurableRange: ClosedRange<Int> = 1...1_000_000

    public init(budgetsPerWorkspace: Int = 1_000, webhookEndpoints: Int = 100, apiKeys: Int = 10_000) {
        precondition([budgetsPerWorkspace, webhookEndpoints, apiKeys].allSatisfy(CollectionLimits.configurableRange.contains),
                      "collection caps are from 1 to 1,000,000")
        self.budgetsPerWorkspace = budgetsPerWorkspace
        self.webhookEndpoints = webhookEndpoints
        self.apiKeys = apiKeys
    }

    /// 1,000 budgets per workspace, 100 webhook endpoints, 10,000 live API keys.
    public static var standard: CollectionLimits { CollectionLimits() }
}
