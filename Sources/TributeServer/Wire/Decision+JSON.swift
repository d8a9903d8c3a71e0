import TributeCore

// Decisions: the log's rows, and one decision with what explains it.

extension DecisionRecord: JSONRepresentable {
    /// A decision, as `/v1/workspaces/{id}/decisions` lists it and the live stream sends it;
    /// `kind` tells a call from a hold's steps (hold, commit, release, expiry).
    var json: JSON { .object(fields) }

    /// The decision's fields, for an answer that adds to them (its explanation).
    var fields: [String: JSON] {
        var context: JSON = .null
        if let text = self.context, let parsed = try? JSON.parse(Array(text.utf8)) { context = parsed }
        return [
            "id": .string(id), "workspaceId": .string(workspaceId), "createdAt": .timestamp(millis: createdAtMillis),
            "actionType": .string(actionType), "success": .bool(success), "reason": .string(reason.rawValue),
            "actionsCharged": .amount(actionsCharged), "fromAllowance": .amount(fromAllowance), "debitAmount": .amount(creditsDebited),
            "userId": .optional(userId), "agentId": .optional(agentId), "runId": .optional(runId),
            "costVersion": .int(costVersion), "context": context, "transactionId": .optional(transactionId),
            "kind": .string(kind.rawValue),
        ]
    }
}

extension DecisionExplanation {
    /// `GET /v1/workspaces/{id}/decisions/{decisionId}`: the decision's fields, then what
    /// explains them, its transaction, and its place in the chain.
    var json: JSON {
        var body = record.fields
        if let explanation {
            body["baseCost"] = .amount(explanation.baseCost)
            body["costMultiplier"] = .amount(explanation.costMultiplier)
            body["grants"] = .array(explanation.grants.map { .object(["grantId": .string($0.grantId), "amount": .amount($0.amount)]) })
            body["budgets"] = .array(explanation.budgets.map {
                .object([
                    "scope": .string($0.scope.description), "unit": .string($0.unit.rawValue), "period": .string($0.period.rawValue),
                    "limit": .amount($0.limit), "usedBefore": .amount($0.usedBefore),
                ])
            })
            body["reverses"] = .optional(explanation.reverses)
            body["note"] = .optional(explanation.note)
            body["tokens"] = explanation.tokens.map(\.json) ?? .null
        } else {
            body["baseCost"] = .null
            body["costMultiplier"] = .null
            body["grants"] = .null
            body["budgets"] = .null
            body["reverses"] = .null
            body["note"] = .null
            body["tokens"] = .null
        }
        body["transaction"] = transaction?.json ?? .null
        body["chain"] = .object(["seq": .int(seq), "prevHash": .string(previousHash), "hash": .string(hash)])
        return .object(body)
    }
}

extension TokenCharge {
    /// A token-priced decision's lines (SPEC §3.6): each kind's tokens, rate (actions per
    /// 1,000,000 tokens) and amount (that kind alone, rounded up), and the part per call.
    /// The decision's `actionsCharged` is the exact sum rounded up once.
    var json: JSON {
        .object([
            "perCall": .amount(perCall),
            "lines": .array(TokenKind.allCases.map { kind in
                .object([
                    "kind": .string(kind.rawValue), "tokens": .int(usage[kind]), "rate": .amount(rates[kind]),
                    "amount": amount(of: kind).map { .amount($0) } ?? .null,
                ])
            }),
        ])
    }
}
