import Logging
import PostgresNIO
import TributeCore

/// Decoding of the rows several queries share.
enum PostgresRows {
    /// The columns `workspace(_:plans:)` decodes (`WorkspaceRows.columns`).
    static let workspaceColumns = WorkspaceRows.columns

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
        var columns = PostgresColumns(row)
        return try WorkspaceRows.state(&columns, plan: planOf)
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
        for plan in try await connection.all(PlanRows.all, PlanRows.plan) { plans[plan.id] = plan }
        return plans
    }

    /// A plan from its columns.
    /// - Throws: `StoreFault.unknownValue` for an overage policy Tribute never writes.
    static func plan(id: String, name: String, allowanceMicros: Int64, policy: String, rateMicros: Int64, priceCents: Int64, rollover: String?) throws -> Plan {
        Plan(id: id, name: name, monthlyAllowance: Amount(micros: allowanceMicros),
             overagePolicy: try storedValue(OveragePolicy.self, policy, column: "plans.overage_policy"),
             overageRate: Amount(micros: rateMicros), priceCents: priceCents, rollover: try PlanRows.rollover(rollover))
    }

    static let budgetColumns = "workspace_id, " + BudgetRows.columns

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
