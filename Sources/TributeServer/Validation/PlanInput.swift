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

    /// A plan's rollover terms (SPEC §3.9): `fraction` (0–1), `maxCarry` (actions) and
    /// `expiresAfterPeriods` (1–120), all three or none; `prefix` names them in the
    /// dashboard's form (`rollover` + `Fraction`…).
    /// - Throws: 400 for a mistyped value or some of the three without the others, 422
    ///   for one out of its range.
    static func rolloverTerms(from input: inout some FieldSource, prefix: String = "") throws -> RolloverTerms? {
        func name(_ field: String) -> String { prefix.isEmpty ? field : prefix + field.prefix(1).uppercased() + field.dropFirst() }
        let fraction = try input.amount(name("fraction"), in: RolloverTerms.fractionRange)
        let maxCarry = try input.amount(name("maxCarry"), in: Amount.zero...Amount.max)
        let periods = try input.integer(name("expiresAfterPeriods"), in: Int64(RolloverTerms.expiresAfterPeriodsRange.lowerBound)...Int64(RolloverTerms.expiresAfterPeriodsRange.upperBound))
        switch (fraction, maxCarry, periods) {
        case (nil, nil, nil): return nil
        case let (fraction?, maxCarry?, periods?): return RolloverTerms(fraction: fraction, maxCarry: maxCarry, expiresAfterPeriods: Int(periods))
        default: throw APIError.malformed("\(name("fraction")), \(name("maxCarry")) and \(name("expiresAfterPeriods")) go together")
        }
    }

    /// `rollover` of a plan's JSON: an object of `rolloverTerms(from:)`'s three fields; left
    /// out, the plan carries nothing (a `PUT` replaces the whole plan).
    static func rollover(from fields: inout Fields) throws -> RolloverTerms? {
        guard let value = try fields.json("rollover") else { return nil }
        guard case .object(let members) = value else { throw APIError.malformed("rollover must be an object, not \(value.typeName)") }
        var inner = Fields(members: members)
        do {
            guard let terms = try rolloverTerms(from: &inner) else { throw APIError.malformed("needs fraction, maxCarry and expiresAfterPeriods") }
            try inner.rejectUnknown()
            return terms
        } catch let error as APIError {
            throw APIError(status: error.status, code: error.code, message: "rollover." + error.message)
        }
    }

    /// A period's allowance and the most it may carry fit in one account together.
    /// - Throws: 422 otherwise.
    static func checkRollover(_ plan: Plan) throws {
        guard let terms = plan.rollover else { return }
        guard plan.monthlyAllowance.adding(terms.maxCarry).map({ $0 <= Amount.max }) == true else {
            throw APIError.invalid("monthlyAllowance and rollover.maxCarry together may be at most \(Amount.max)")
        }
    }
}
