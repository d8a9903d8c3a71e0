/// The bodies of the hold endpoints (SPEC §3.1). In TributeCore, like `AuthorizeAnswer`,
/// because the create, commit and release answers are stored with their idempotency key
/// and replayed byte for byte by the stores.
extension HoldRecord {
    /// `GET /v1/holds/{id}`. `heldActions`/`heldAllowance`/`heldAmount` are what is still
    /// held; `committedActions`/`committedAmount` what was charged so far.
    public var jsonValue: JSON {
        var body: [String: JSON] = [
            "id": .string(id), "workspaceId": .string(workspaceId), "status": .string(status.rawValue), "actionType": .string(actionType),
            "heldActions": .amount(heldActions), "heldAllowance": .amount(heldAllowance), "heldAmount": .amount(heldCredits),
            "committedActions": .amount(committedActions), "committedAmount": .amount(committedCredits), "costVersion": .int(costVersion),
            "createdAt": .timestamp(millis: createdAtMillis), "expiresAt": .timestamp(millis: expiresAtMillis),
        ]
        if let userId { body["userId"] = .string(userId) }
        if let agentId { body["agentId"] = .string(agentId) }
        if let runId { body["runId"] = .string(runId) }
        return .object(body)
    }
}

/// The answers of the hold endpoints that move money, as stored bodies.
public enum HoldAnswer {
    /// `POST /v1/holds`: the decision fields of SPEC §2 (`actionsCharged` the estimate
    /// held) with `holdId` and `expiresAt` when approved.
    public static func created(_ answer: AuthorizeAnswer, hold: HoldRecord?) -> AuthorizeOutcome {
        var extra: [(key: String, value: String)] = []
        if let hold, answer.outcome.approved {
            extra = [("expiresAt", "\"" + ISOTime.format(millis: hold.expiresAtMillis) + "\""), ("holdId", quoted(hold.id))]
        }
        return AuthorizeOutcome(body: answer.json(adding: extra), replayed: false, approved: answer.outcome.approved, reason: answer.outcome.reason)
    }

    /// `POST /v1/holds/{id}/commit`: the decision fields for what was charged, with the
    /// hold's id, status and `remainingHeld` (actions still held).
    public static func committed(_ answer: AuthorizeAnswer, hold: HoldRecord) -> AuthorizeOutcome {
        let extra: [(key: String, value: String)] = [
            ("holdId", quoted(hold.id)), ("remainingHeld", hold.heldActions.description),
            ("remainingHeldAmount", hold.heldCredits.description), ("status", "\"" + hold.status.rawValue + "\""),
        ]
        return AuthorizeOutcome(body: answer.json(adding: extra), replayed: false, approved: true, reason: .approved)
    }

    private static func quoted(_ text: String) -> String {
        var output = ""
        JSON.writeString(text, to: &output)
        return output
    }

    /// `POST /v1/holds/{id}/release`: the hold as it now stands, with the release's decision.
    public static func released(_ hold: HoldRecord, decisionId: String) -> AuthorizeOutcome {
        guard var body = hold.jsonValue.objectValue else { preconditionFailure("a hold is an object") }
        body["decisionId"] = .string(decisionId)
        return AuthorizeOutcome(body: JSON.object(body).serialized, replayed: false, approved: true, reason: .approved)
    }
}
