import TributeCore

// The catalog an admin edits: action costs, plans and credit packages.

extension ActionCost: JSONRepresentable {
    /// One version of an action type's cost, as `/v1/action-costs` lists it: `baseCost` for
    /// an action priced per call; `tokenRates` and `perCall` for a token-priced one.
    var json: JSON {
        var fields: [String: JSON] = ["actionType": .string(actionType), "version": .int(version), "updatedAt": .timestamp(millis: updatedAt)]
        if let tokenRates {
            fields["tokenRates"] = tokenRates.json
            fields["perCall"] = .amount(baseCost)
        } else {
            fields["baseCost"] = .amount(baseCost)
        }
        return .object(fields)
    }
}

extension TokenRates {
    /// Actions per 1,000,000 tokens of each kind, every kind named.
    var json: JSON {
        .object(Dictionary(uniqueKeysWithValues: TokenKind.allCases.map { ($0.rawValue, JSON.amount(self[$0])) }))
    }
}

extension Plan: JSONRepresentable {
    /// A plan, as `/v1/plans` lists it.
    var json: JSON {
        .object([
            "id": .string(id), "name": .string(name), "monthlyAllowance": .amount(monthlyAllowance),
            "overagePolicy": .string(overagePolicy.rawValue), "overageRate": .amount(overageRate), "priceCents": .int(priceCents),
            "rollover": rollover.map(\.json) ?? .null,
        ])
    }
}

extension RolloverTerms: JSONRepresentable {
    /// A plan's rollover terms (SPEC §3.9).
    var json: JSON {
        .object(["fraction": .amount(fraction), "maxCarry": .amount(maxCarry), "expiresAfterPeriods": .int(Int64(expiresAfterPeriods))])
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
