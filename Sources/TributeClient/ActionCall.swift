import TributeCore

/// The fields authorize-and-debit and a hold share, as the caller gave them.
struct ActionCall: Sendable {
    var workspaceId: String
    var actionType: String
    var costMultiplier: Amount
    var userId: String?
    var agentId: String?
    var runId: String?
    var context: [String: JSON]?

    /// The request body: optional fields are left out rather than `null` (which the API
    /// refuses), and the multiplier is exact decimal text.
    func body(adding extra: [String: JSON] = [:]) -> String {
        var fields: [String: JSON] = [
            "workspaceId": .string(workspaceId), "actionType": .string(actionType), "costMultiplier": .number(costMultiplier.description),
        ]
        if let userId { fields["userId"] = .string(userId) }
        if let agentId { fields["agentId"] = .string(agentId) }
        if let runId { fields["runId"] = .string(runId) }
        if let context { fields["context"] = .object(context) }
        fields.merge(extra) { $1 }
        return JSON.object(fields).serialized
    }

    func unrecorded(_ kind: UnrecordedAction.Kind, idempotencyKey: String, lastFailure: String) -> UnrecordedAction {
        UnrecordedAction(kind: kind, workspaceId: workspaceId, actionType: actionType, costMultiplier: costMultiplier, userId: userId,
                         agentId: agentId, runId: runId, context: context, idempotencyKey: idempotencyKey, allowedAt: .now, lastFailure: lastFailure)
    }
}
