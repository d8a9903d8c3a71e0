import HTTPTypes
import Hummingbird
import TributeCore
import TributeStore

/// The core call (SPEC §2): price, check and debit one agent action.
struct AuthorizeRoutes<Store: TributeStore>: Sendable {
    let store: Store
    let auth: Auth<Store>

    /// The `context` object of a decision.
    static var maxContextBytes: Int { 16 * 1024 }

    var endpoints: RouteCollection<TributeContext> {
        let routes = RouteCollection(context: TributeContext.self)
        // The role is checked before the body is read: a key that may not debit never
        // reaches the parser. The workspace is in the body, so the handler checks it.
        routes.group().add(middleware: auth.requireKey(.adminOrService))
            .post("/v1/agent-actions/authorize-and-debit", use: authorizeAndDebit)
        return routes
    }

    /// One atomic, durable decision; replays under the same `Idempotency-Key`.
    @Sendable func authorizeAndDebit(_ request: Request, _ context: TributeContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        var fields = try await API.fields(request)
        guard let workspaceId = try fields.callId("workspaceId", maxLength: 128) else { throw APIError.malformed("workspaceId is required") }
        let actionType = try fields.requiredString("actionType", maxLength: 128)
        let userId = try fields.callId("userId")
        let agentId = try fields.callId("agentId")
        let runId = try fields.callId("runId")
        let multiplier: Amount
        do {
            multiplier = try fields.amount("costMultiplier", in: Amount(micros: 1)...Amount(units: 1000)) ?? .one
        } catch let error as APIError where error.status == .unprocessableContent {
            throw APIError(.invalidMultiplier("costMultiplier must be a finite number greater than 0 and at most 1000, with at most six decimals"))
        }
        let decisionContext = try fields.object("context", maxBytes: Self.maxContextBytes)
        try fields.rejectUnknown()
        try principal.checkAccess(toWorkspace: workspaceId)
        let authorizeRequest = AuthorizeRequest(
            workspaceId: workspaceId, actionType: actionType, userId: userId, agentId: agentId, runId: runId,
            costMultiplier: multiplier, context: decisionContext)
        let claim = try Self.idempotencyClaim(request, authorizeRequest)
        let outcome = try await store.authorize(authorizeRequest, idempotency: claim)
        var headers: HTTPFields = [:]
        if outcome.replayed { headers[HTTPField.Name("Idempotent-Replayed")!] = "true" }
        return API.text(outcome.body, headers: headers)
    }

    /// The `Idempotency-Key` header with a hash of the validated request.
    /// - Throws: 400 for a key that is not 1 to 255 visible ASCII characters.
    static func idempotencyClaim(_ request: Request, _ authorize: AuthorizeRequest) throws -> IdempotencyClaim? {
        guard let key = request.headers[HTTPField.Name("Idempotency-Key")!] else { return nil }
        guard !key.isEmpty, key.utf8.count <= 255, key.utf8.allSatisfy({ $0 >= 0x21 && $0 <= 0x7E }) else {
            throw APIError.malformed("Idempotency-Key must be 1 to 255 visible ASCII characters")
        }
        let canonical = JSON.object([
            "workspaceId": .string(authorize.workspaceId), "actionType": .string(authorize.actionType),
            "userId": .optional(authorize.userId), "agentId": .optional(authorize.agentId), "runId": .optional(authorize.runId),
            "costMultiplier": .amount(authorize.costMultiplier), "context": .optional(authorize.context),
        ]).serialized
        return IdempotencyClaim(key: key, requestHash: Hex.sha256("authorize-and-debit\n" + canonical))
    }
}
