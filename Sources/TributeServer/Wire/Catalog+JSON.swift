import TributeCore

// The catalog an admin edits: action costs, plans and credit packages.

extension ActionCost: JSONRepresentable {
    /// One version of an action type's cost, as `/v1/action-costs` lists it.
    var json: JSON {
        .object(["actionType": .string(actionType), "baseCost": .amount(baseCost), "version": .int(version), "updatedAt": .timestamp(millis: updatedAt)])
    }
}

extension Plan: JSONRepresentable {
    /// A plan, as `/v1/plans` lists it.
    var json: JSON {
        .object([
            "id": .string(id), "name": .string(name), "monthlyAllowance": .amount(monthlyAllowance),
            "overagePolicy": .string(overagePolicy.rawValue), "overageRate": .amount(overageRate), "priceCents": .int(priceCents),
        ])
    }
}

extension CreditPackage: JSONRepresentable {
    /// A credit package, as `/v1/credit-packages` lists it.
    var json: JSON {
        .object([
            "id": .string(id), "name": .string(name), "credits": .amount(credits), "priceCents": .int(priceCents),
            "currency": .string(currency), "active": .bool(active),
        ])
    }
}
