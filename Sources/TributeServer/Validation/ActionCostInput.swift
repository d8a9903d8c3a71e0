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

    static func isActionType(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64 && name.utf8.allSatisfy { ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) || $0 == 95 }
    }
}
