import TributeCore

/// The `plans` table as both stores read and write it.
enum PlanRows {
    /// The columns `plan` reads, in its order.
    static let names = ["id", "name", "monthly_allowance_micros", "overage_policy", "overage_rate_micros", "price_cents", "rollover"]
    static let columns = names.joined(separator: ", ")

    /// Every plan, by id.
    static let all = StoreStatement("SELECT \(columns) FROM plans ORDER BY id")

    /// One plan by id.
    static func one(id: String) -> StoreStatement { StoreStatement("SELECT \(columns) FROM plans WHERE id = ?", [.text(id)]) }

    /// A plan from a row of `columns`.
    /// - Throws: `StoreFault.unknownValue` for an overage policy Tribute never writes.
    static func plan(_ columns: inout some ColumnReader) throws -> Plan {
        Plan(
            id: try columns.text(), name: try columns.text(), monthlyAllowance: try columns.amount(),
            overagePolicy: try columns.value(OveragePolicy.self, column: "plans.overage_policy"), overageRate: try columns.amount(),
            priceCents: try columns.int(), rollover: try rollover(try columns.optionalText()))
    }

    /// A plan's rollover terms from their column (`RolloverTerms.encoded`; NULL: none).
    /// - Throws: `StoreFault.unknownValue` for text Tribute never writes.
    static func rollover(_ text: String?) throws -> RolloverTerms? {
        guard let text, !text.isEmpty else { return nil }
        guard let terms = RolloverTerms(decoding: text) else { throw StoreFault.unknownValue("plans.rollover", text) }
        return terms
    }

    /// Creates `plan` or replaces the plan of its id. `allowance_changed_at` moves only
    /// when the allowance does (`AuditRows.allowances`).
    static func put(_ plan: Plan, nowMillis: Int64) -> StoreStatement {
        StoreStatement("""
            INSERT INTO plans (id, name, monthly_allowance_micros, overage_policy, overage_rate_micros, price_cents, rollover, updated_at, allowance_changed_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET name = excluded.name, monthly_allowance_micros = excluded.monthly_allowance_micros,
                overage_policy = excluded.overage_policy, overage_rate_micros = excluded.overage_rate_micros,
                price_cents = excluded.price_cents, rollover = excluded.rollover, updated_at = excluded.updated_at,
                allowance_changed_at = CASE WHEN plans.monthly_allowance_micros <> excluded.monthly_allowance_micros
                    THEN excluded.allowance_changed_at ELSE plans.allowance_changed_at END
            """, [
                .text(plan.id), .text(plan.name), .int(plan.monthlyAllowance.micros), .text(plan.overagePolicy.rawValue),
                .int(plan.overageRate.micros), .int(plan.priceCents), .text(plan.rollover?.encoded), .int(nowMillis), .int(nowMillis),
            ])
    }
}
