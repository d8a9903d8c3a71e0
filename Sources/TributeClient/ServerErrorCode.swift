/// The stable `code` of a Tribute error body (`{"error":{"code","message"}}`), one case
/// per code the server sends, and `unknown` for a code this client does not know yet (a newer
/// server, a proxy's own error), so that a new code never breaks a caller's `switch`.
public enum ServerErrorCode: Sendable, Hashable, CustomStringConvertible {
    /// 400: the body is not JSON, or a field is missing or of the wrong type.
    case malformedRequest
    /// 401: no API key, or one that is unknown or revoked.
    case unauthenticated
    /// 403: the key's role or workspaces do not allow this.
    case forbidden
    /// 403: the key is frozen; an admin can thaw it.
    case keyFrozen
    /// 404: no such route.
    case notFound
    case workspaceNotFound
    case planNotFound
    case budgetNotFound
    case apiKeyNotFound
    case packageNotFound
    case purchaseNotFound
    case grantNotFound
    case statementNotFound
    case webhookEndpointNotFound
    case transactionNotFound
    case decisionNotFound
    /// 404: no such hold, or one of a workspace the key may not touch.
    case holdNotFound
    /// 409: a commit, release or extend after the hold's `expiresAt`.
    case holdExpired
    /// 409: anything on a hold already committed or released.
    case holdClosed
    /// 422: a commit of more than the hold still holds.
    case exceedsHold
    /// 422: an extend past the time the allowance a hold holds may be held (its period's
    /// end plus 24 hours); commit what was used and hold again.
    case extendsPastPeriod
    /// 409: an extend of a hold of a suspended workspace (commit and release still work).
    case workspaceSuspended
    /// 422: a well-formed field out of range.
    case invalidValue
    /// 422: the result would pass the largest amount (10¹²).
    case amountTooLarge
    /// 422: the action type is not in the cost registry.
    case unknownActionType
    /// 422: the cost multiplier is not above 0 and at most 1000 with six decimals.
    case invalidMultiplier
    /// 422: `usage` on an action priced per call, a multiplier or no usage on a token-priced
    /// one, or token counts that are not whole numbers from 0 to 10⁹.
    case invalidUsage
    case alreadyReversed
    case notReversible
    case alreadyExists
    /// 409: the `Idempotency-Key` was used before with a different request.
    case idempotencyKeyReused
    /// 429: the server's write queue is full.
    case overloaded
    /// 422: the workspace has as many budgets as it may (a new scope is refused; changing one is not).
    case tooManyBudgets
    /// 422: the server has as many webhook endpoints as it allows.
    case tooManyWebhookEndpoints
    /// 422: the server has as many live API keys as it allows.
    case tooManyAPIKeys
    /// 429: the key is over its rate limit.
    case rateLimited
    /// 413: the request body passes 64 KiB.
    case payloadTooLarge
    case methodNotAllowed
    /// 400: a path parameter whose percent-encoding decodes to no text (`%ZZ`).
    case invalidPath
    /// 414: a request line past the server's limit.
    case uriTooLong
    /// 431: headers past the server's limit.
    case headersTooLarge
    case tooManyStreams
    /// 503: the database is unavailable.
    case unavailable
    /// 503: the server is not ready.
    case notReady
    case paymentsNotConfigured
    case stripeRejected
    case stripeUnavailable
    case invalidSignature
    /// 500: an internal error the server does not describe.
    case internalError
    /// A code this client does not know, as the server sent it.
    case unknown(String)

    /// Every code this client knows.
    public static let allKnown: [ServerErrorCode] = [
        .malformedRequest, .unauthenticated, .forbidden, .keyFrozen, .notFound, .workspaceNotFound, .planNotFound, .budgetNotFound,
        .apiKeyNotFound, .packageNotFound, .purchaseNotFound, .grantNotFound, .statementNotFound, .webhookEndpointNotFound, .transactionNotFound,
        .decisionNotFound, .holdNotFound, .holdExpired, .holdClosed, .exceedsHold, .extendsPastPeriod, .workspaceSuspended, .invalidValue, .amountTooLarge,
        .unknownActionType, .invalidMultiplier, .invalidUsage, .alreadyReversed, .notReversible, .alreadyExists, .idempotencyKeyReused,
        .overloaded, .tooManyBudgets, .tooManyWebhookEndpoints, .tooManyAPIKeys, .rateLimited, .payloadTooLarge, .methodNotAllowed, .invalidPath, .uriTooLong, .headersTooLarge, .tooManyStreams, .unavailable, .notReady,
        .paymentsNotConfigured, .stripeRejected, .stripeUnavailable, .invalidSignature, .internalError,
    ]

    private static let byCode: [String: ServerErrorCode] = Dictionary(uniqueKeysWithValues: allKnown.map { ($0.code, $0) })

    /// The case for a code as the server sent it; `unknown` when this client does not know it.
    public init(code: String) {
        self = Self.byCode[code] ?? .unknown(code)
    }

    /// The code as the server sends it, such as `hold_closed`.
    public var code: String {
        switch self {
        case .malformedRequest: "malformed_request"
        case .unauthenticated: "unauthenticated"
        case .forbidden: "forbidden"
        case .keyFrozen: "key_frozen"
        case .notFound: "not_found"
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
        case .invalidValue: "invalid_value"
        case .amountTooLarge: "amount_too_large"
        case .unknownActionType: "unknown_action_type"
        case .invalidMultiplier: "invalid_multiplier"
        case .invalidUsage: "invalid_usage"
        case .alreadyReversed: "already_reversed"
        case .notReversible: "not_reversible"
        case .alreadyExists: "already_exists"
        case .idempotencyKeyReused: "idempotency_key_reused"
        case .overloaded: "overloaded"
        case .tooManyBudgets: "too_many_budgets"
        case .tooManyWebhookEndpoints: "too_many_webhook_endpoints"
        case .tooManyAPIKeys: "too_many_api_keys"
        case .rateLimited: "rate_limited"
        case .payloadTooLarge: "payload_too_large"
        case .methodNotAllowed: "method_not_allowed"
        case .invalidPath: "invalid_path"
        case .uriTooLong: "uri_too_long"
        case .headersTooLarge: "headers_too_large"
        case .tooManyStreams: "too_many_streams"
        case .unavailable: "unavailable"
        case .notReady: "not_ready"
        case .paymentsNotConfigured: "payments_not_configured"
        case .stripeRejected: "stripe_rejected"
        case .stripeUnavailable: "stripe_unavailable"
        case .invalidSignature: "invalid_signature"
        case .internalError: "internal"
        case .unknown(let code): code
        }
    }

    public var description: String { code }
}
