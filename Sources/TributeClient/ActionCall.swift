import TributeCore

/// The fields authorize-and-debit and a hold share, as the caller gave them.
struct ActionCall: Sendable {
    var workspaceId: String
    var actionType: String
    var costMultiplier: Amount
    /// A token-priced action's tokens (SPEC §3.6).
    var usage: TokenUsage? = nil
    var userId: String?
    var agentId: String?
    var runId: String?
    var context: [String: JSON]?

    /// The request body: optional fields are left out rather than `null` (which the API
    /// refuses), and the multiplier is exact decimal text.
    func body(adding extra: [String: JSON] = [:]) -> String {
        var fields: [String: JSON] = ["workspaceId": .string(workspaceId), "actionType": .string(actionType)]
        // A token-priced call sends its usage and no multiplier (unless one other than the
        // default 1 was asked for, which the server refuses as `invalidUsage`).
        if let usage { fields["usage"] = usage.json }
        if usage == nil || costMultiplier != .one { fields["costMultiplier"] = .number(costMultiplier.description) }
        if let userId { fields["userId"] = .string(userId) }
        if let agentId { fields["agentId"] = .string(agentId) }
        if let runId { fields["runId"] = .string(runId) }
        if let context { fields["context"] = .object(context) }
        fields.merge(extra) { $1 }
        return JSON.object(fields).serialized
    }

    func unrecorded(_ kind: UnrecordedAction.Kind, idempotencyKey: String, lastFailure: String) -> UnrecordedAction {
        UnrecordedAction(kind: kind, workspaceId: workspaceId, actionType: actionType, costMultiplier: costMultiplier, usage: usage, userId: userId,
                         agentId: agentId, runId: runId, context: context, idempotencyKey: idempotencyKey, allowedAt: .now, lastFailure: lastFailure)
    }
}
