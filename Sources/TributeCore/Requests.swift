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

/// An `Idempotency-Key` with the hash of the request it arrived with.
public struct IdempotencyClaim: Sendable, Equatable {
    public var key: String
    public var requestHash: String

    public init(key: String, requestHash: String) {
        self.key = key
        self.requestHash = requestHash
    }
}

/// The answer to an authorize call: the response body, and whether it is a replay.
public struct AuthorizeOutcome: Sendable {
    /// The JSON response body, byte for byte what the first call answered.
    public var body: String
    public var replayed: Bool
    public var approved: Bool

    public init(body: String, replayed: Bool, approved: Bool) {
        self.body = body
        self.replayed = replayed
        self.approved = approved
    }

    public init(_ answer: AuthorizeAnswer) {
        self.init(body: answer.json, replayed: false, approved: answer.outcome.approved)
    }
}

/// A new workspace.
public struct WorkspaceDraft: Sendable {
    public var id: String?
    public var name: String
    public var planId: String
    public var anchorDate: CivilDate?

    public init(id: String?, name: String, planId: String, anchorDate: CivilDate?) {
        self.id = id
        self.name = name
        self.planId = planId
        self.anchorDate = anchorDate
    }
}

/// Whether a workspace may act.
public enum WorkspaceStatus: String, Sendable, CaseIterable {
    case active
    case suspended
}

/// Changes to a workspace; `nil` leaves a field as it is.
public struct WorkspacePatch: Sendable {
    public var planId: String?
    public var status: WorkspaceStatus?
    public var name: String?
    /// Zero removes the threshold.
    public var lowBalanceThreshold: Amount?

    public init(planId: String?, status: WorkspaceStatus?, name: String?, lowBalanceThreshold: Amount? = nil) {
        self.planId = planId
        self.status = status
        self.name = name
        self.lowBalanceThreshold = lowBalanceThreshold
    }
}

/// An admin's grant of credits.
public struct CreditGrantDraft: Sendable {
    public var amount: Amount
    /// Unix seconds; `nil` never expires.
    public var expiresAt: Int64?
    public var note: String?

    public init(amount: Amount, expiresAt: Int64?, note: String?) {
        self.amount = amount
        self.expiresAt = expiresAt
        self.note = note
    }
}

/// The roles an API key can have.
public enum Role: String, Sendable, CaseIterable {
    /// Everything, on every workspace.
    case admin
    /// Debits, holds and budgets, and reads, on its workspaces (all when it names none).
    case service
    /// Reads only, on the workspaces it names.
    case viewer
}

/// Who is calling: the verified API key.
public struct Principal: Sendable, Equatable {
    public var keyId: String
    public var role: Role
    /// Empty means every workspace (admin, or a service key that names none).
    public var workspaceIds: [String]
    /// The key's own rate limit; `nil` follows the server's default (`TRIBUTE_RATE_LIMIT`).
    public var rateLimit: RateLimit?

    public init(keyId: String, role: Role, workspaceIds: [String], rateLimit: RateLimit? = nil) {
        self.keyId = keyId
        self.role = role
        self.workspaceIds = workspaceIds
        self.rateLimit = rateLimit
    }

    /// Whether this key may touch `workspaceId` at all.
    public func canAccess(workspaceId: String) -> Bool {
        role == .admin || (role == .service && workspaceIds.isEmpty) || workspaceIds.contains(workspaceId)
    }
}

/// A page of a newest-first list.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    /// Pass back as `cursor` for the next page; `nil` on the last page.
    public var nextCursor: String?

    public init(items: [Item], nextCursor: String?) {
        self.items = items
        self.nextCursor = nextCursor
    }
}
