import HTTPTypes
import Hummingbird
import TributeCore

extension API {
    func registerAuthorize(_ routes: inout RouteTable) {
        routes.on("/v1/agent-actions/authorize-and-debit", .post) { request, _ in try await authorizeAndDebit(request) }
    }

    /// SPEC §2: one atomic, durable decision; replays under the same `Idempotency-Key`.
    func authorizeAndDebit(_ request: Request) async throws -> Response {
        // The role is checked before the body is read: a key that may not debit never
        // reaches the parser.
        let principal = try await auth.require(request, .adminOrService)
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
        let context = try fields.object("context", maxBytes: API.maxContextBytes)
        try fields.rejectUnknown()
        guard principal.canAccess(workspaceId: workspaceId) else {
            throw APIError(.forbidden("This key may not act on workspace \"\(workspaceId)\""))
        }
        let authorizeRequest = AuthorizeRequest(
            workspaceId: workspaceId, actionType: actionType, userId: userId, agentId: agentId, runId: runId,
            costMultiplier: multiplier, context: context)
        let claim = try idempotencyClaim(request, authorizeRequest)
        let outcome = try await store.authorize(authorizeRequest, idempotency: claim)
        var headers: HTTPFields = [:]
        if outcome.replayed { headers[HTTPField.Name("Idempotent-Replayed")!] = "true" }
        return API.text(outcome.body, headers: headers)
    }

    /// The `Idempotency-Key` header with a hash of the validated request.
    func idempotencyClaim(_ request: Request, _ authorize: AuthorizeRequest) throws -> IdempotencyClaim? {
        guard let key = request.headers[HTTPField.Name("Idempotency-Key")!] else { return nil }
        guard !key.isEmpty, key.utf8.count <= 255, key.utf8.allSatisfy({ $0 >= 0x21 && $0 <= 0x7E }) else {
            throw APIError.malformed("Idempotency-Key must be 1 to 255 visible ASCII characters")
        }
        let canonical = JSON.object([
            "workspaceId": .string(authorize.workspaceId), "actionType": .string(authorize.actionType),
            "userId": .optional(authorize.userId), "agentId": .optional(authorize.agentId), "runId": .optional(authorize.runId),
            "costMultiplier": .amount(authorize.costMultiplier), "context": .optional(authorize.context),
        ]).serialized
        return IdempotencyClaim(key: key, requestHash: Identifier.sha256Hex("authorize-and-debit\n" + canonical))
    }
}
