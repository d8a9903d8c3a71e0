/// A budget with what is left of it in its current window, and when that window ends.
public struct BudgetView: Sendable, Equatable {
    public var budget: Budget
    /// Unix seconds: when use starts afresh; `nil` for `lifetime`.
    public var resetsAt: Int64?

    /// `stored` as it stands at `nowMillis`, in the workspace's billing period `billing`.
    public init(_ stored: StoredBudget, billing: BillingPeriod, nowMillis: Int64) {
        self.budget = stored.current(billing: billing, nowMillis: nowMillis)
        self.resetsAt = stored.budget.period.resetsAt(billing: billing, nowMillis: nowMillis)
    }
}
