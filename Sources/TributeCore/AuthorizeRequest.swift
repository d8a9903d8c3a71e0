/// One authorize-and-debit call, validated.
public struct AuthorizeRequest: Sendable, Equatable {
    public var workspaceId: String
    public var actionType: String
    public var userId: String?
    public var agentId: String?
    public var runId: String?
    public var costMultiplier: Amount
    /// The caller's context object, serialized (at most 16 KiB).
    public var context: String?

    public init(workspaceId: String, actionType: String, userId: String? = nil, agentId: String? = nil, runId: String? = nil, costMultiplier: Amount = .one, context: String? = nil) {
        self.workspaceId = workspaceId
        self.actionType = actionType
        self.userId = userId
        self.agentId = agentId
        self.runId = runId
        self.costMultiplier = costMultiplier
        self.context = context
    }

    /// The scopes whose budgets apply to this call.
    public var budgetScopes: [BudgetScope] {
        var scopes: [BudgetScope] = []
        if let userId { scopes.append(BudgetScope(kind: .user, id: userId)) }
        if let agentId { scopes.append(BudgetScope(kind: .agent, id: agentId)) }
        if let runId { scopes.append(BudgetScope(kind: .run, id: runId)) }
        return scopes
    }
}
