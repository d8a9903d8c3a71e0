/// One authorize-and-debit call, validated.
public struct AuthorizeRequest: Sendable, Equatable {
    public var workspaceId: String
    public var actionType: String
    public var userId: String?
    public var agentId: String?
    public var runId: String?
    /// `nil` when the caller gave none: 1 for an action priced per call; a token-priced
    /// action takes none (`Pricing.terms`).
    public var costMultiplier: Amount?
    /// A token-priced call's tokens (SPEC §3.6).
    public var usage: TokenUsage?
    /// The caller's context object, serialized (at most 16 KiB).
    public var context: String?
    /// The API key the call was made with (set by the server, never by the body): its
    /// `key:` budget applies (SPEC §3.7).
    public var keyId: String?

    public init(workspaceId: String, actionType: String, userId: String? = nil, agentId: String? = nil, runId: String? = nil, costMultiplier: Amount? = nil,
                usage: TokenUsage? = nil, context: String? = nil) {
        self.workspaceId = workspaceId
        self.actionType = actionType
        self.userId = userId
        self.agentId = agentId
        self.runId = runId
        self.costMultiplier = costMultiplier
        self.usage = usage
        self.context = context
    }

    /// The scopes whose budgets apply to this call.
    public var budgetScopes: [BudgetScope] {
        var scopes: [BudgetScope] = []
        if let userId { scopes.append(BudgetScope(kind: .user, id: userId)) }
        if let agentId { scopes.append(BudgetScope(kind: .agent, id: agentId)) }
        if let runId { scopes.append(BudgetScope(kind: .run, id: runId)) }
        if let keyId { scopes.append(BudgetScope(kind: .key, id: keyId)) }
        scopes.append(.workspace)
        return scopes
    }
}
