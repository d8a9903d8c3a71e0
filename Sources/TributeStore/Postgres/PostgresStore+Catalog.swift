import Logging
import PostgresNIO
import TributeCore

extension PostgresStore {
    public func authorize(_ request: AuthorizeRequest, idempotency: IdempotencyClaim?) async throws -> AuthorizeOutcome {
        try await batcher.submit(request, claim: idempotency)
    }

    public func createWorkspace(_ draft: WorkspaceDraft) async throws -> WorkspaceView {
        let nowMillis = clock.nowMillis()
        let id = draft.id ?? Identifier.make("ws")
        let anchor = draft.anchorDate ?? CivilDate(unixSeconds: nowMillis / 1000)
        try await transaction { connection in
            let logger = PostgresLedger.logger
            guard try await connection.query("SELECT 1 FROM plans WHERE id = \(draft.planId)", logger: logger).firstRow() != nil else {
                throw TributeError.planNotFound(draft.planId)
            }
            // The first period is empty and ended, so that the roll-over below issues the
            // allowance through the ledger like every later period.
            guard try await connection.query("""
                INSERT INTO workspaces (id, name, plan_id, status, anchor_date, anchor_day, period_start, period_end, period_used_micros, decision_head, created_at)
                VALUES (\(id), \(draft.name), \(draft.planId), 'active', \(anchor.description), \(Int32(anchor.day)), 0, 0, 0, \(DecisionRecord.genesisHash), \(nowMillis))
                ON CONFLICT (id) DO NOTHING RETURNING id
                """, logger: logger).firstRow() != nil else {
                throw TributeError.alreadyExists("A workspace \"\(id)\" exists already")
            }
            for kind in [AccountKind.wallet, .allowance] {
                try await connection.query("""
                    INSERT INTO accounts (id, workspace_id, kind, unit, allows_negative, balance_micros)
                    VALUES (\(AccountRef(kind: kind, workspaceId: id).description), \(id), \(kind.rawValue), \(kind.unit.rawValue), FALSE, 0)
                    """, logger: logger)
            }
            var (state, _) = try await PostgresLedger.lockWorkspace(connection, id: id)
            try await PostgresLedger.rollPeriodIfNeeded(connection, &state, nowMillis: nowMillis)
        }
        return try await workspace(id: id)
    }

    public func workspace(id: String) async throws -> WorkspaceView {
        let nowMillis = clock.nowMillis()
        return try await read { connection in try await PostgresStore.view(connection, id: id, nowMillis: nowMillis) }
    }

    public func workspaces(limit: Int, cursor: String?) async throws -> Page<WorkspaceView> {
        let nowMillis = clock.nowMillis()
        let after = try listCursor(cursor) ?? 0
        return try await read { connection in
            var rows: [(Int64, String)] = []
            for try await row in try await connection.query(
                "SELECT seq, id FROM workspaces WHERE seq > \(after) ORDER BY seq LIMIT \(Int64(limit + 1))", logger: PostgresLedger.logger
            ).decode((Int64, String).self) { rows.append(row) }
            var views: [WorkspaceView] = []
            for (_, id) in rows.prefix(limit) { views.append(try await PostgresStore.view(connection, id: id, nowMillis: nowMillis)) }
            return Page(items: views, nextCursor: rows.count > limit ? String(rows[limit - 1].0) : nil)
        }
    }

    /// The workspace as it stands at `nowMillis`: a period that has ended (or grants that
    /// have expired) are shown as the next write will settle them.
    static func view(_ connection: PostgresConnection, id: String, nowMillis: Int64) async throws -> WorkspaceView {
        var state = try await PostgresLedger.readWorkspace(connection, id: id)
        let nowSeconds = nowMillis / 1000
        if nowSeconds >= state.period.end || nowSeconds < state.period.start {
            state.period = BillingPeriod.containing(nowSeconds, anchor: state.anchorDate)
            state.allowance = state.plan.monthlyAllowance
        }
        if let next = state.nextExpiryAtMillis, next <= nowMillis {
            let expired = try await connection.query("""
                SELECT COALESCE(SUM(remaining_micros), 0)::bigint FROM credit_grants WHERE workspace_id = \(id) AND expires_at <= \(nowMillis)
                """, logger: PostgresLedger.logger).firstRow()?.decode(Int64.self) ?? 0
            state.wallet -= Amount(micros: expired)
        }
        return WorkspaceView(
            id: state.id, name: state.name, planId: state.plan.id, status: state.status, anchorDate: state.anchorDate, period: state.period,
            remainingAllowance: state.allowance, remainingBalance: state.wallet, heldAmount: .zero, createdAtMillis: state.createdAtMillis,
            lowBalanceThreshold: state.lowBalanceThreshold)
    }

    public func updateWorkspace(id: String, patch: WorkspacePatch) async throws -> WorkspaceView {
        let nowMillis = clock.nowMillis()
        try await transaction { connection in
            let logger = PostgresLedger.logger
            var (state, _) = try await PostgresLedger.lockWorkspace(connection, id: id)
            try await PostgresLedger.rollPeriodIfNeeded(connection, &state, nowMillis: nowMillis)
            if let name = patch.name { try await connection.query("UPDATE workspaces SET name = \(name) WHERE id = \(id)", logger: logger) }
            if let status = patch.status { try await connection.query("UPDATE workspaces SET status = \(status.rawValue) WHERE id = \(id)", logger: logger) }
            if let threshold = patch.lowBalanceThreshold {
                let micros: Int64? = threshold.isZero ? nil : threshold.micros
                try await connection.query("UPDATE workspaces SET low_balance_threshold_micros = \(micros) WHERE id = \(id)", logger: logger)
            }
            if let planId = patch.planId, planId != state.plan.id {
                // The allowance left becomes the new plan's allowance less what this period
                // already used, never below zero.
                guard let allowance = try await connection.query(
                    "SELECT monthly_allowance_micros FROM plans WHERE id = \(planId)", logger: logger
                ).firstRow()?.decode(Int64.self) else { throw TributeError.planNotFound(planId) }
                guard let left = Amount(micros: allowance).subtracting(state.periodUsed), let delta = max(.zero, left).subtracting(state.allowance) else {
                    throw StoreFault.corruptAmount("workspaces.period_used_micros")
                }
                if !delta.isZero {
                    let transaction = try LedgerTransaction(kind: .allowanceReset, postings: [
                        Posting(account: .allowance(id), amount: delta), Posting(account: .system(.allowanceIssued), amount: -delta),
                    ])
                    try await PostgresLedger.append(connection, transaction, id: Identifier.make("txn"), workspaceId: id, decisionId: nil, atMillis: nowMillis)
                }
                try await connection.query("UPDATE workspaces SET plan_id = \(planId) WHERE id = \(id)", logger: logger)
            }
        }
        return try await workspace(id: id)
    }

    public func actionCosts() async throws -> [ActionCost] {
        try await read { connection in
            var costs: [ActionCost] = []
            for try await (actionType, cost, version, updatedAt) in try await connection.query(
                "SELECT action_type, base_cost_micros, version, updated_at FROM action_types ORDER BY action_type", logger: PostgresLedger.logger
            ).decode((String, Int64, Int64, Int64).self) {
                costs.append(ActionCost(actionType: actionType, baseCost: Amount(micros: cost), version: version, updatedAt: updatedAt))
            }
            return costs
        }
    }

    public func setActionCost(actionType: String, baseCost: Amount) async throws -> ActionCost {
        let nowMillis = clock.nowMillis()
        return try await transaction { connection in
            let logger = PostgresLedger.logger
            // The type's row lock orders concurrent edits; a type new to every instance is
            // created by exactly one of them.
            try await connection.query("""
                INSERT INTO action_types (action_type, base_cost_micros, version, updated_at) VALUES (\(actionType), \(baseCost.micros), 1, \(nowMillis))
                ON CONFLICT (action_type) DO NOTHING
                """, logger: logger)
            let current = try await connection.query(
                "SELECT version FROM action_types WHERE action_type = \(actionType) FOR UPDATE", logger: logger
            ).firstRow()?.decode(Int64.self) ?? 1
            let created = try await connection.query(
                "SELECT 1 FROM action_cost_versions WHERE action_type = \(actionType)", logger: logger).firstRow() == nil
            let (next, overflow) = current.addingReportingOverflow(1)
            guard !overflow else { throw StoreFault.corruptAmount("action_types.version") }
            let version = created ? 1 : next
            try await connection.query("""
                UPDATE action_types SET base_cost_micros = \(baseCost.micros), version = \(version), updated_at = \(nowMillis) WHERE action_type = \(actionType)
                """, logger: logger)
            try await connection.query("""
                INSERT INTO action_cost_versions (action_type, version, base_cost_micros, created_at) VALUES (\(actionType), \(version), \(baseCost.micros), \(nowMillis))
                """, logger: logger)
            return ActionCost(actionType: actionType, baseCost: baseCost, version: version, updatedAt: nowMillis)
        }
    }

    public func actionCostHistory(actionType: String) async throws -> [ActionCost] {
        let history = try await read { connection in
            var costs: [ActionCost] = []
            for try await (cost, version, createdAt) in try await connection.query(
                "SELECT base_cost_micros, version, created_at FROM action_cost_versions WHERE action_type = \(actionType) ORDER BY version DESC",
                logger: PostgresLedger.logger
            ).decode((Int64, Int64, Int64).self) {
                costs.append(ActionCost(actionType: actionType, baseCost: Amount(micros: cost), version: version, updatedAt: createdAt))
            }
            return costs
        }
        guard !history.isEmpty else { throw TributeError.unknownActionType(actionType) }
        return history
    }

    public func plans() async throws -> [Plan] {
        try await read { connection in
            var plans: [Plan] = []
            for try await (id, name, allowance, policy, rate, price) in try await connection.query(
                "SELECT id, name, monthly_allowance_micros, overage_policy, overage_rate_micros, price_cents FROM plans ORDER BY id", logger: PostgresLedger.logger
            ).decode((String, String, Int64, String, Int64, Int64).self) {
                plans.append(Plan(id: id, name: name, monthlyAllowance: Amount(micros: allowance), overagePolicy: OveragePolicy(rawValue: policy) ?? .block,
                                  overageRate: Amount(micros: rate), priceCents: price))
            }
            return plans
        }
    }

    public func putPlan(_ plan: Plan) async throws -> Plan {
        let nowMillis = clock.nowMillis()
        try await transaction { connection in
            try await connection.query("""
                INSERT INTO plans (id, name, monthly_allowance_micros, overage_policy, overage_rate_micros, price_cents, updated_at)
                VALUES (\(plan.id), \(plan.name), \(plan.monthlyAllowance.micros), \(plan.overagePolicy.rawValue), \(plan.overageRate.micros), \(plan.priceCents), \(nowMillis))
                ON CONFLICT (id) DO UPDATE SET name = excluded.name, monthly_allowance_micros = excluded.monthly_allowance_micros,
                    overage_policy = excluded.overage_policy, overage_rate_micros = excluded.overage_rate_micros,
                    price_cents = excluded.price_cents, updated_at = excluded.updated_at
                """, logger: PostgresLedger.logger)
        }
        return plan
    }

    public func grantCredits(workspaceId: String, grant: CreditGrantDraft) async throws -> CreditGrantView {
        let nowMillis = clock.nowMillis()
        if let expiresAt = grant.expiresAt, expiresAt <= nowMillis {
            throw TributeError.invalidValue("expiresAt must be in the future")
        }
        return try await transaction { connection in
            var (state, _) = try await PostgresLedger.lockWorkspace(connection, id: workspaceId)
            try await PostgresLedger.expireGrantsIfNeeded(connection, &state, nowMillis: nowMillis)
            let grantId = Identifier.make("grant")
            let transactionId = Identifier.make("txn")
            let transaction = try LedgerTransaction.transfer(.creditGrant, grant.amount, from: .system(.grants), to: .wallet(workspaceId))
            try await PostgresLedger.append(connection, transaction, id: transactionId, workspaceId: workspaceId, decisionId: nil, atMillis: nowMillis)
            try await connection.query("""
                INSERT INTO credit_grants (id, workspace_id, amount_micros, remaining_micros, expires_at, note, transaction_id, created_at)
                VALUES (\(grantId), \(workspaceId), \(grant.amount.micros), \(grant.amount.micros), \(grant.expiresAt), \(grant.note), \(transactionId), \(nowMillis))
                """, logger: PostgresLedger.logger)
            if grant.expiresAt != nil { _ = try await PostgresLedger.refreshNextExpiry(connection, workspaceId: workspaceId) }
            let transactionView = TransactionView(
                id: transactionId, workspaceId: workspaceId, kind: transaction.kind.rawValue, createdAtMillis: nowMillis, decisionId: nil,
                postings: transaction.postings.map { ($0.account.description, $0.unit.rawValue, $0.amount) })
            return CreditGrantView(id: grantId, workspaceId: workspaceId, amount: grant.amount, remaining: grant.amount, expiresAtMillis: grant.expiresAt,
                                   note: grant.note, createdAtMillis: nowMillis, transaction: transactionView)
        }
    }

    public func putBudget(workspaceId: String, scope: BudgetScope, limit: Amount, unit: BudgetUnit, period: BudgetPeriod) async throws -> BudgetView {
        let nowMillis = clock.nowMillis()
        return try await transaction { connection in
            var (state, _) = try await PostgresLedger.lockWorkspace(connection, id: workspaceId)
            try await PostgresLedger.rollPeriodIfNeeded(connection, &state, nowMillis: nowMillis)
            let existing = try await connection.query(
                "SELECT \(unescaped: PostgresRows.budgetColumns) FROM budgets WHERE workspace_id = \(workspaceId) AND scope = \(scope.description)",
                logger: PostgresLedger.logger
            ).firstRow().map { try PostgresRows.budget($0).1.current(periodStart: state.period.start) }
            // Use is kept across edits only while the unit stays the same.
            let used = existing.flatMap { $0.unit == unit ? $0.used : nil } ?? .zero
            try await connection.query("""
                INSERT INTO budgets (workspace_id, scope, limit_micros, unit, period, used_micros, period_start, created_at)
                VALUES (\(workspaceId), \(scope.description), \(limit.micros), \(unit.rawValue), \(period.rawValue), \(used.micros), \(state.period.start), \(nowMillis))
                ON CONFLICT (workspace_id, scope) DO UPDATE SET limit_micros = excluded.limit_micros, unit = excluded.unit,
                    period = excluded.period, used_micros = excluded.used_micros, period_start = excluded.period_start
                """, logger: PostgresLedger.logger)
            return BudgetView(budget: Budget(scope: scope, limit: limit, unit: unit, period: period, used: used))
        }
    }

    public func budgets(workspaceId: String) async throws -> [BudgetView] {
        let nowMillis = clock.nowMillis()
        return try await read { connection in
            let workspace = try await PostgresStore.view(connection, id: workspaceId, nowMillis: nowMillis)
            var views: [BudgetView] = []
            for try await row in try await connection.query(
                "SELECT \(unescaped: PostgresRows.budgetColumns) FROM budgets WHERE workspace_id = \(workspaceId) ORDER BY scope", logger: PostgresLedger.logger
            ) {
                views.append(BudgetView(budget: try PostgresRows.budget(row).1.current(periodStart: workspace.period.start)))
            }
            return views
        }
    }

    public func deleteBudget(workspaceId: String, scope: BudgetScope) async throws {
        try await transaction { connection in
            _ = try await PostgresLedger.lockWorkspace(connection, id: workspaceId)
            guard try await connection.query(
                "DELETE FROM budgets WHERE workspace_id = \(workspaceId) AND scope = \(scope.description) RETURNING 1", logger: PostgresLedger.logger
            ).firstRow() != nil else { throw TributeError.budgetNotFound(scope.description) }
        }
    }
}
