/// Every failure of the domain a caller can cause, each with a stable code. The HTTP edge
/// maps each case to one status; nothing is written when one is thrown.
///
/// Failures only the HTTP edge can see (an unreadable body, a missing or weak API key, a
/// body too large) are `APIError`s of TributeServer, not cases here.
public enum TributeError: Error, Equatable, Sendable {
    /// A field is well-formed but out of range (negative, too large, too many decimals).
    case invalidValue(String)
    /// The operation's result would pass `Amount.max` (a grant onto a full wallet, a system
    /// account's total); nothing was written.
    case amountTooLarge(String)
    case unknownActionType(String)
    case invalidMultiplier(String)
    /// `usage` on an action priced per call, or a multiplier (or no usage) on a token-priced
    /// one (SPEC §3.6).
    case invalidUsage(String)
    case workspaceNotFound(String)
    case planNotFound(String)
    case budgetNotFound(String)
    case apiKeyNotFound(String)
    case packageNotFound(String)
    case purchaseNotFound(String)
    case grantNotFound(String)
    /// No statement of that number: its period has not closed (or did not exist).
    case statementNotFound(String)
    case webhookEndpointNotFound(String)
    case transactionNotFound(String)
    case decisionNotFound(String)
    case holdNotFound(String)
    /// A commit or extend after the hold's `expiresAt` (`409`).
    case holdExpired(String)
    /// Anything on a hold already committed, released or expired (`409`).
    case holdClosed(String)
    /// A commit of more than the hold still holds (`422`).
    case exceedsHold(String)
    /// An extend past the time the allowance a hold holds may be held (`422`): allowance
    /// belongs to its period.
    case extendsPastPeriod(String)
    /// A suspended workspace's hold cannot be extended (`409`); it can still be committed
    /// or released.
    case workspaceSuspended(String)
    /// The transaction was reversed before (`409`): a reversal happens once.
    case alreadyReversed(String)
    /// Only charges are reversed; other kinds are corrected by their own operation.
    case notReversible(String)
    /// A resource with this id exists already.
    case alreadyExists(String)
    /// The `Idempotency-Key` was used before with a different request.
    case idempotencyKeyReused
    /// The writer's queue is full; the caller should retry shortly.
    case overloaded
    /// A new budget past the workspace's cap (`422`); changing an existing one is allowed.
    case tooManyBudgets(max: Int)
    /// A new webhook endpoint past the server's cap of live endpoints (`422`).
    case tooManyWebhookEndpoints(max: Int)
    /// A new API key past the server's cap of live keys (`422`).
    case tooManyAPIKeys(max: Int)

    /// The stable, machine-readable code of the error body.
    public var code: String {
        switch self {
        case .invalidValue: "invalid_value"
        case .amountTooLarge: "amount_too_large"
        case .unknownActionType: "unknown_action_type"
        case .invalidMultiplier: "invalid_multiplier"
        case .invalidUsage: "invalid_usage"
        case .workspaceNotFound: "workspace_not_found"
        case .planNotFound: "plan_not_found"
        case .budgetNotFound: "budget_not_found"
        case .apiKeyNotFound: "api_key_not_found"
        case .packageNotFound: "package_not_found"
        case .purchaseNotFound: "purchase_not_found"
        case .grantNotFound: "grant_not_found"
        case .statementNotFound: "statement_not_found"
        case .webhookEndpointNotFound: "webhook_endpoint_not_found"
        case .transactionNotFound: "transaction_not_found"
        case .decisionNotFound: "decision_not_found"
        case .holdNotFound: "hold_not_found"
        case .holdExpired: "hold_expired"
        case .holdClosed: "hold_closed"
        case .exceedsHold: "exceeds_hold"
        case .extendsPastPeriod: "extends_past_period"
        case .workspaceSuspended: "workspace_suspended"
        case .alreadyReversed: "already_reversed"
        case .notReversible: "not_reversible"
        case .alreadyExists: "already_exists"
        case .idempotencyKeyReused: "idempotency_key_reused"
        case .overloaded: "overloaded"
        case .tooManyBudgets: "too_many_budgets"
        case .tooManyWebhookEndpoints: "too_many_webhook_endpoints"
        case .tooManyAPIKeys: "too_many_api_keys"
        }
    }

    /// The sentence for people.
    public var message: String {
        switch self {
        case .invalidValue(let detail), .amountTooLarge(let detail), .invalidMultiplier(let detail), .invalidUsage(let detail), .alreadyExists(let detail):
            detail
        case .unknownActionType(let type): "Unknown action type \"\(type)\""
        case .workspaceNotFound(let id): "No workspace \"\(id)\""
        case .planNotFound(let id): "No plan \"\(id)\""
        case .budgetNotFound(let scope): "No budget for scope \"\(scope)\""
        case .apiKeyNotFound(let id): "No API key \"\(id)\""
        case .packageNotFound(let id): "No credit package \"\(id)\" on sale"
        case .purchaseNotFound(let id): "No purchase \"\(id)\""
        case .grantNotFound(let id): "No credit grant \"\(id)\" in this workspace"
        case .statementNotFound(let number): "No statement \(number) of this workspace: statements are numbered from 1, one per closed period, each ready five minutes after its period ends"
        case .webhookEndpointNotFound(let id): "No webhook endpoint \"\(id)\""
        case .transactionNotFound(let id): "No transaction \"\(id)\""
        case .decisionNotFound(let id): "No decision \"\(id)\""
        case .holdNotFound(let id): "No hold \"\(id)\""
        case .holdExpired(let id): "Hold \"\(id)\" has expired: its amounts are free again"
        case .holdClosed(let id): "Hold \"\(id)\" is closed (committed, released or expired)"
        case .exceedsHold(let detail), .extendsPastPeriod(let detail): detail
        case .workspaceSuspended(let id): "Workspace \"\(id)\" is suspended: its open holds can be committed or released, not extended"
        case .alreadyReversed(let id): "Transaction \"\(id)\" was reversed already"
        case .notReversible(let detail): detail
        case .idempotencyKeyReused: "This Idempotency-Key was used before with a different request"
        case .overloaded: "Too many requests in flight; retry shortly"
        case .tooManyBudgets(let max): "This workspace already has \(max) budgets, the most it may have; delete one, or change an existing one instead"
        case .tooManyWebhookEndpoints(let max): "There are already \(max) webhook endpoints, the most allowed; delete one first"
        case .tooManyAPIKeys(let max): "There are already \(max) live API keys, the most allowed; revoke one first"
        }
    }
}
