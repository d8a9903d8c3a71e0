/// A budget with what is left of it.
public struct BudgetView: Sendable, Equatable {
    public var budget: Budget

    public init(budget: Budget) { self.budget = budget }
}
