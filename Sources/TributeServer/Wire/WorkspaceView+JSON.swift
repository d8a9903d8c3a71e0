import TributeCore

extension WorkspaceView: JSONRepresentable {
    /// `GET /v1/workspaces/{id}` and the other workspace operations' body.
    var json: JSON {
        .object([
            "id": .string(id), "name": .string(name), "planId": .string(planId), "status": .string(status.rawValue),
            "lowBalanceThreshold": lowBalanceThreshold.map { .amount($0) } ?? .null,
            "anchorDate": .string(anchorDate.description),
            "period": .object(["start": .timestamp(millis: period.start * 1000), "end": .timestamp(millis: period.end * 1000)]),
            "remainingAllowance": .amount(remainingAllowance), "remainingBalance": .amount(remainingBalance),
            "heldAmount": .amount(heldAmount), "heldAllowance": .amount(heldAllowance), "createdAt": .timestamp(millis: createdAtMillis),
            "rollover": .array(rollover.map { .object(["actions": .amount($0.amount), "expiresAt": .timestamp(millis: $0.expiresAt * 1000)]) }),
        ])
    }
}
