import TributeCore

// The ledger as the API shows it: transactions and the grants that made credits.

extension TransactionView: JSONRepresentable {
    /// A transaction with its postings, as `/v1/workspaces/{id}/transactions` lists it.
    var json: JSON {
        .object([
            "id": .string(id), "workspaceId": .optional(workspaceId), "kind": .string(kind), "createdAt": .timestamp(millis: createdAtMillis),
            "decisionId": .optional(decisionId), "reverses": .optional(reverses),
            "postings": .array(postings.map { .object(["account": .string($0.account), "unit": .string($0.unit), "amount": .amount($0.amount)]) }),
        ])
    }
}

extension CreditGrantView: JSONRepresentable {
    /// A grant with its terms (SPEC §3.9), and the transaction that made it when
    /// `POST /v1/workspaces/{id}/credit-grants` answers (a list leaves it out).
    var json: JSON {
        var body: [String: JSON] = [
            "id": .string(id), "workspaceId": .string(workspaceId), "amount": .amount(amount), "remaining": .amount(remaining),
            "expiresAt": expiresAtMillis.map { .timestamp(millis: $0) } ?? .null, "note": .optional(note),
            "createdAt": .timestamp(millis: createdAtMillis), "category": .string(terms.category.rawValue), "priority": .int(Int64(terms.priority)),
            "costBasisCents": .int(terms.costBasisCents), "effectiveAt": .timestamp(millis: terms.effectiveAtMillis),
        ]
        if let transaction { body["transaction"] = transaction.json }
        return .object(body)
    }
}
