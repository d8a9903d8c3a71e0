import TributeCore

/// The `workspaces` table as both stores read it: its columns listed once, decoded once.
/// Balances live on account rows and are read beside it by each backend.
enum WorkspaceRows {
    /// The columns `state` reads, in its order: from `workspaces` alone, so that PostgreSQL
    /// can lock the row with them (a locking query must not join, or PostgreSQL re-checks
    /// the join against the row's new version after the wait and may drop it).
    static let names = [
        "id", "name", "status", "anchor_date", "period_start", "period_end", "period_used_micros", "next_expiry_at", "created_at",
        "decision_head", "plan_id", "low_balance_threshold_micros", "next_hold_expiry_at",
    ]
    static let columns = names.joined(separator: ", ")

    /// `columns`, each qualified by the table's alias in a query that joins.
    static func columns(of alias: String) -> String { names.map { "\(alias).\($0)" }.joined(separator: ", ") }

    /// A workspace from a row of `columns`, with the plan `plan` gives for its plan id and
    /// its balances zero.
    /// - Throws: `StoreFault.unknownValue` for a status or date Tribute never writes; what
    ///   `plan` throws.
    static func state(_ columns: inout some ColumnReader, plan planOf: (String) throws -> Plan) throws -> WorkspaceState {
        let id = try columns.text(), name = try columns.text()
        let status = try columns.value(WorkspaceStatus.self, column: "workspaces.status")
        let anchorText = try columns.text()
        guard let anchorDate = CivilDate(parsing: anchorText) else { throw StoreFault.unknownValue("workspaces.anchor_date", anchorText) }
        let period = BillingPeriod(start: try columns.int(), end: try columns.int())
        let periodUsed = try columns.amount(), nextExpiry = try columns.optionalInt(), createdAt = try columns.int()
        let head = try columns.text(), planId = try columns.text()
        let lowBalance = try columns.optionalInt(), nextHoldExpiry = try columns.optionalInt()
        var state = WorkspaceState(
            id: id, name: name, status: status, anchorDate: anchorDate, period: period, periodUsed: periodUsed, nextExpiryAtMillis: nextExpiry,
            createdAtMillis: createdAt, plan: try planOf(planId), wallet: .zero, allowance: .zero,
            lowBalanceThreshold: lowBalance.map(Amount.init(micros:)), decisionHead: head)
        state.nextHoldExpiryAtMillis = nextHoldExpiry
        return state
    }
}
