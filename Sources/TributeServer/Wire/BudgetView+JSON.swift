import TributeCore

extension BudgetView: JSONRepresentable {
    /// A budget with what is left of it, as `/v1/workspaces/{id}/budgets` lists it.
    var json: JSON {
        .object([
            "scope": .string(budget.scope.description), "limit": .amount(budget.limit), "unit": .string(budget.unit.rawValue),
            "period": .string(budget.period.rawValue), "used": .amount(budget.used), "remaining": .amount(budget.remaining),
            "resetsAt": resetsAt.map { .timestamp(millis: $0 * 1000) } ?? .null,
        ])
    }
}
