import TributeCore

/// The fields of a priced call, the same for `POST /v1/agent-actions/authorize-and-debit`
/// and `POST /v1/holds` (SPEC §3.1: a hold's estimate is priced and checked exactly like a
/// call), so that each rule is written once.
enum CallInput {
    /// The `context` object of a decision, serialized.
    static var maxContextBytes: Int { 16 * 1024 }

    /// The call's fields out of `fields`; the caller checks the rest and unknown fields.
    /// - Throws: 400 for a missing or mistyped field, 422 `invalid_multiplier` for a
    ///   multiplier outside (0, 1000] or with more than six decimals, 422 `invalid_value`
    ///   for other values out of range.
    static func request(from fields: inout Fields) throws -> AuthorizeRequest {
        guard let workspaceId = try fields.callId("workspaceId", maxLength: 128) else { throw APIError.malformed("workspaceId is required") }
        let actionType = try fields.requiredString("actionType", maxLength: 128)
        let userId = try fields.callId("userId")
        let agentId = try fields.callId("agentId")
        let runId = try fields.callId("runId")
        let multiplier = try Self.multiplier(&fields, "costMultiplier", in: Amount(micros: 1)...Amount(units: 1000)) ?? .one
        let context = try fields.object("context", maxBytes: maxContextBytes)
        return AuthorizeRequest(
            workspaceId: workspaceId, actionType: actionType, userId: userId, agentId: agentId, runId: runId,
            costMultiplier: multiplier, context: context)
    }

    /// A cost multiplier in `range`, the core call's rule.
    /// - Throws: 400 when mistyped, 422 `invalid_multiplier` out of range or past six decimals.
    static func multiplier(_ fields: inout Fields, _ name: String, in range: ClosedRange<Amount>) throws -> Amount? {
        do {
            return try fields.amount(name, in: range)
        } catch let error as APIError where error.status == .unprocessableContent {
            let bounds = range.lowerBound.isZero ? "from 0 to \(range.upperBound)" : "greater than 0 and at most \(range.upperBound)"
            throw APIError(.invalidMultiplier("\(name) must be a finite number \(bounds), with at most six decimals"))
        }
    }

    /// The call's fields with keys in a fixed order: what an idempotency key's hash covers,
    /// so that the same request formatted differently is the same request.
    static func canonical(_ request: AuthorizeRequest) -> [String: JSON] {
        [
            "workspaceId": .string(request.workspaceId), "actionType": .string(request.actionType),
            "userId": .optional(request.userId), "agentId": .optional(request.agentId), "runId": .optional(request.runId),
            "costMultiplier": .amount(request.costMultiplier), "context": .optional(request.context),
        ]
    }
}
