import TributeCore

/// The one set of rules for an action type's base cost, whether it comes to
/// `PUT /v1/action-costs/{actionType}` as JSON or to the dashboard's cost forms.
enum ActionCostInput {
    /// An action type name: 1 to 64 characters of upper-case letters, digits and `_`.
    /// - Throws: 422 for anything else, or none.
    static func actionType(_ name: String?) throws -> String {
        guard let name, isActionType(name) else { throw APIError.invalid("An action type is 1 to 64 characters of A-Z, 0-9 and _") }
        return name
    }

    /// The `baseCost`: actions charged per call, from 0 to `PriceLimits.maxUnitPrice`.
    /// - Throws: 400 when missing or mistyped, 422 out of range.
    static func baseCost(from input: inout some FieldSource) throws -> Amount {
        try input.requiredAmount("baseCost", in: Amount.zero...PriceLimits.maxUnitPrice)
    }

    /// How `PUT /v1/action-costs/{actionType}` prices the type: `{baseCost}`, or
    /// `{tokenRates, perCall?}` for a token-priced action (SPEC §3.6), never both.
    /// - Throws: 400 when neither is given, a field is mistyped or `tokenRates` names an
    ///   unknown kind; 422 for both, or a value out of range.
    static func price(from fields: inout Fields) throws -> (baseCost: Amount, tokenRates: TokenRates?) {
        guard let rates = try fields.json("tokenRates") else {
            guard try fields.json("perCall") == nil else { throw APIError.invalid("perCall goes with tokenRates; an action priced per call has a baseCost") }
            return (try baseCost(from: &fields), nil)
        }
        guard case .object(let members) = rates else { throw APIError.malformed("tokenRates must be an object, not \(rates.typeName)") }
        guard try fields.json("baseCost") == nil else { throw APIError.invalid("Give baseCost or tokenRates, not both") }
        var inner = Fields(members: members)
        let tokenRates = try Self.tokenRates(from: &inner, prefix: "tokenRates.")
        try inner.rejectUnknown()
        return (try perCall(from: &fields), tokenRates)
    }

    /// Actions per 1,000,000 tokens of each `TokenKind`, each from 0 to
    /// `PriceLimits.maxUnitPrice` (a kind left out is 0).
    /// - Parameter prefix: before each kind's name in an error (`tokenRates.` in JSON).
    /// - Throws: 400 when mistyped, 422 out of range.
    static func tokenRates(from input: inout some FieldSource, prefix: String = "") throws -> TokenRates {
        var rates = PerTokenKind<Amount>(inputTokens: .zero, cachedInputTokens: .zero, cacheWriteTokens: .zero, outputTokens: .zero, reasoningTokens: .zero)
        for kind in TokenKind.allCases {
            do {
                rates[kind] = try input.amount(kind.rawValue, in: Amount.zero...PriceLimits.maxUnitPrice) ?? .zero
            } catch let error as APIError {
                throw APIError(status: error.status, code: error.code, message: prefix + error.message)
            }
        }
        return TokenRates(rates)
    }

    /// The dashboard's cost forms: `pricing=tokens` with `perCall` and a rate per kind, or a
    /// `baseCost`.
    static func price(fromForm form: inout FormBody) throws -> (baseCost: Amount, tokenRates: TokenRates?) {
        guard form["pricing"] == "tokens" else { return (try baseCost(from: &form), nil) }
        return (try perCall(from: &form), try tokenRates(from: &form))
    }

    /// `perCall`: the fixed part of a token-priced call, 0 when left out.
    static func perCall(from input: inout some FieldSource) throws -> Amount {
        try input.amount("perCall", in: Amount.zero...PriceLimits.maxUnitPrice) ?? .zero
    }

    static func isActionType(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64 && name.utf8.allSatisfy { ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) || $0 == 95 }
    }
}
