/// A statement's JSON (SPEC §3.9) and its digest: SHA-256 of the canonical text of every
/// other field (keys sorted, numbers as Tribute writes them), so that the same rows always
/// give the same digest and a statement rebuilt from edited rows gives another.
extension CreditStatement {
    /// Everything but the digest.
    public var body: JSON {
        func balances(_ balances: CategoryBalances) -> JSON {
            .object([
                "credits": .amount(balances.credits),
                "byCategory": .object(Dictionary(uniqueKeysWithValues: GrantCategory.allCases.map { ($0.rawValue, JSON.amount(balances[$0])) })),
            ])
        }
        func lines(_ lines: [UsageLine]) -> JSON {
            .array(lines.map { .object(["key": .optional($0.key), "calls": .int($0.calls), "actions": .amount($0.actions), "credits": .amount($0.credits)]) })
        }
        return .object([
            "workspaceId": .string(workspaceId),
            "number": number.map { .int(Int64($0)) } ?? .null,
            "from": .timestamp(millis: fromMillis),
            "to": .timestamp(millis: toMillis),
            "opening": balances(opening),
            "closing": balances(closing),
            "allowance": .object([
                "issued": .amount(allowance.issued), "used": .amount(allowance.used), "lapsed": .amount(allowance.lapsed),
                "rolloverIn": .amount(allowance.rolloverIn), "rolloverOut": .amount(allowance.rolloverOut),
            ]),
            "movements": .array(movements.map { movement in
                var fields: [String: JSON] = [
                    "at": .timestamp(millis: movement.atMillis), "kind": .string(movement.kind.rawValue), "credits": .amount(movement.credits),
                    "category": .string(movement.category.rawValue), "ref": .optional(movement.ref), "adjustment": .bool(movement.adjustment),
                ]
                if let purchase = movement.purchase {
                    fields["purchase"] = .object([
                        "id": .string(purchase.id), "packageId": .string(purchase.packageId), "paymentIntentId": .optional(purchase.paymentIntentId),
                        "amountCents": .int(purchase.amountCents),
                    ])
                }
                return .object(fields)
            }),
            "usage": .object([
                "calls": .int(usage.calls), "actions": .amount(usage.actions), "credits": .amount(usage.credits),
                "paidCredits": .amount(usage.creditsByCategory[.paid]), "promotionalCredits": .amount(usage.creditsByCategory[.promotional]),
                "creditsByCategory": balances(usage.creditsByCategory).objectValue?["byCategory"] ?? .null,
                "byActionType": lines(usage.byActionType), "byAgent": lines(usage.byAgent), "byUser": lines(usage.byUser), "byRun": lines(usage.byRun),
            ]),
            "holdsOpen": .array(holdsOpen.map { .object(["id": .string($0.id), "createdAt": .timestamp(millis: $0.createdAtMillis)]) }),
            "chain": chain.map { .object(["fromSeq": .int($0.fromSeq), "toSeq": .int($0.toSeq), "headHash": .string($0.headHash)]) } ?? .null,
        ])
    }

    /// The canonical text of `body`, which the digest is taken over and which is stored.
    public var canonicalBody: String { body.serialized }

    /// Hex SHA-256 of `canonicalBody`.
    public var digest: String { Hex.sha256(canonicalBody) }

    /// The statement as the API answers: its body and its digest.
    public static func json(body canonical: String, digest: String) -> String {
        // The stored body is a JSON object: its closing brace makes room for the digest.
        String(canonical.dropLast()) + #","digest":"# + JSON.string(digest).serialized + "}"
    }
}
