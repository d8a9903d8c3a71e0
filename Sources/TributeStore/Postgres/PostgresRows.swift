import Logging
import PostgresNIO
import TributeCore

/// Decoding of the rows several queries share.
enum PostgresRows {
    /// The columns `workspace(_:plans:)` decodes, from `workspaces` alone: a query that
    /// locks a row must not join, or PostgreSQL re-checks the join against the row's new
    /// version after the wait and may drop it (a plan change, say).
    static let workspaceColumns = """
        id, name, status, anchor_date, period_start, period_end, period_used_micros, next_expiry_at, created_at, decision_head, plan_id,
        low_balance_threshold_micros, next_hold_expiry_at
        """

    /// A workspace row with its plan and the head of its decision chain (balances zero:
    /// they are read separately, after the lock).
    /// - Throws: `StoreFault.unknownValue` for a status or date Tribute never writes.
    static func workspace(_ row: PostgresRow, plans: [String: Plan]) throws -> WorkspaceState {
        try workspace(row) { planId in
            guard let plan = plans[planId] else { throw TributeError.planNotFound(planId) }
            return plan
        }
    }

    /// A workspace row with the plan `plan` gives for its plan id.
    static func workspace(_ row: PostgresRow, plan planOf: (String) throws -> Plan) throws -> WorkspaceState {
        let (id, name, status, anchor, periodStart, periodEnd, periodUsed, nextExpiry, createdAt, head, planId, lowBalance, nextHoldExpiry) =
            try row.decode((String, String, String, String, Int64, Int64, Int64, Int64?, Int64, String, String, Int64?, Int64?).self)
        let plan = try planOf(planId)
        guard let workspaceStatus = WorkspaceStatus(rawValue: status) else { throw StoreFault.unknownValue("workspaces.status", status) }
        guard let anchorDate = CivilDate(parsing: anchor) else { throw StoreFault.unknownValue("workspaces.anchor_date", anchor) }
        var state = WorkspaceState(
            id: id, name: name, status: workspaceStatus, anchorDate: anchorDate,
            period: BillingPeriod(start: periodStart, end: periodEnd), periodUsed: Amount(micros: periodUsed),
            nextExpiryAtMillis: nextExpiry, createdAtMillis: createdAt, plan: plan, wallet: .zero, allowance: .zero,
            lowBalanceThreshold: lowBalance.map(Amount.init(micros:)), decisionHead: head)
        state.nextHoldExpiryAtMillis = nextHoldExpiry
        return state
    }

    /// Sets the balance of one of the workspace's accounts, read by its `kind` column.
    static func setBalance(_ state: inout WorkspaceState, kind: String, micros: Int64) {
        switch AccountKind(rawValue: kind) {
        case .wallet: state.wallet = Amount(micros: micros)
        case .allowance: state.allowance = Amount(micros: micros)
        case .heldAllowance: state.heldAllowance = Amount(micros: micros)
        case .heldCredits: state.heldCredits = Amount(micros: micros)
        default: break
        }
    }

    /// Every plan, by id (a handful of rows).
    /// - Throws: `StoreFault.unknownValue` for an overage policy Tribute never writes.
    static func plans(_ connection: PostgresConnection, logger: Logger) async throws -> [String: Plan] {
        var plans: [String: Plan] = [:]
        for try await (id, name, allowance, policy, rate, price) in try await connection.query(
            "SELECT id, name, monthly_allowance_micros, overage_policy, overage_rate_micros, price_cents FROM plans", logger: logger
        ).decode((String, String, Int64, String, Int64, Int64).self) {
            plans[id] = try plan(id: id, name: name, allowanceMicros: allowance, policy: policy, rateMicros: rate, priceCents: price)
        }
        return plans
    }

    /// A plan from its columns.
    /// - Throws: `StoreFault.unknownValue` for an overage policy Tribute never writes.
    static func plan(id: String, name: String, allowanceMicros: Int64, policy: String, rateMicros: Int64, priceCents: Int64) throws -> Plan {
        Plan(id: id, name: name, monthlyAllowance: Amount(micros: allowanceMicros),
             overagePolicy: try storedValue(OveragePolicy.self, policy, column: "plans.overage_policy"),
             overageRate: Amount(micros: rateMicros), priceCents: priceCents)
    }

    static let budgetColumns = "workspace_id, scope, limit_micros, unit, period, used_micros, period_start"

    /// A budget row of `budgetColumns`.
    /// - Throws: `StoreFault.unknownValue` for a scope, unit or period Tribute never writes.
    static func budget(_ row: PostgresRow) throws -> (workspaceId: String, StoredBudget) {
        let (workspaceId, scope, limit, unit, period, used, periodStart) = try row.decode((String, String, Int64, String, String, Int64, Int64).self)
        return (workspaceId, try BudgetRows.stored(scope: scope, limitMicros: limit, unit: unit, period: period, usedMicros: used, periodStart: periodStart))
    }

    /// The columns `decision(_:)` decodes: the order number, then `DecisionRows.columns`.
    static let decisionColumns = "seq, " + DecisionRows.columns

    /// A decision with its order number, from the first columns of a row of `decisionColumns`.
    /// - Throws: `StoreFault.unknownValue` for a reason Tribute never writes.
    static func decision(_ row: PostgresRow) throws -> (seq: Int64, DecisionRecord) {
        var columns = PostgresColumns(row)
        let (seq, decision) = try DecisionRows.numbered(&columns)
        return (seq, decision)
    }
}

extension PostgresStore {
    /// System accounts' balance rows per account; see `PostgresMigrations`.
    static let systemShards: Int32 = 16
}
