import TributeCore

/// The one set of rules for a plan, whether it comes to `PUT /v1/plans/{planId}` as JSON or
/// to the dashboard's plan form.
enum PlanInput {
    /// A plan id from a path.
    /// - Throws: 422 unless it is an identifier.
    static func id(_ text: String) throws -> String {
        guard Fields.isIdentifier(text) else { throw APIError.invalid("planId may hold only letters, digits and - _ . :") }
        return text
    }

    /// The plan `id` as `input` describes it: `name`, `monthlyAllowance`, `overagePolicy`,
    /// `overageRate` (credits per action) and `priceCents`, all required.
    /// - Throws: 400 for a missing or mistyped value, 422 for one out of its range.
    static func plan(id: String, from input: inout some FieldSource) throws -> Plan {
        Plan(
            id: id, name: try input.requiredString("name", maxLength: 200),
            monthlyAllowance: try input.requiredAmount("monthlyAllowance", in: Amount.zero...Amount.max),
            overagePolicy: try input.requiredChoice("overagePolicy", OveragePolicy.self),
            overageRate: try input.requiredAmount("overageRate", in: Amount.zero...PriceLimits.maxUnitPrice),
            priceCents: try input.requiredInteger("priceCents", in: PriceLimits.planPriceCents))
    }
}
