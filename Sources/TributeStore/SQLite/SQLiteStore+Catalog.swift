import GRDB
import TributeCore

extension SQLiteStore {
    public func createWorkspace(_ draft: WorkspaceDraft) async throws -> WorkspaceView {
        let nowMillis = clock.nowMillis()
        return try await write { db in
            let id = draft.id ?? Identifier.make("ws")
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM plans WHERE id = ?", arguments: [draft.planId]) == true else {
                throw TributeError.planNotFound(draft.planId)
            }
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM workspaces WHERE id = ?", arguments: [id]) != true else {
                throw TributeError.alreadyExists("A workspace \"\(id)\" exists already")
            }
            let anchor = draft.anchorDate ?? CivilDate(unixSeconds: nowMillis / 1000)
            // The first period is empty and ended, so that the roll-over below issues the
            // allowance through the ledger like every later period.
            try db.execute(sql: """
                INSERT INTO workspaces (id, name, plan_id, status, anchor_date, anchor_day, period_start, period_end, period_used_micros, created_at)
                VALUES (?, ?, ?, 'active', ?, ?, 0, 0, 0, ?)
                """, arguments: [id, draft.name, draft.planId, anchor.description, anchor.day, nowMillis])
            for kind in [AccountKind.wallet, .allowance] {
                try db.execute(sql: "INSERT INTO accounts (id, workspace_id, kind, unit, allows_negative, balance_micros) VALUES (?, ?, ?, ?, 0, 0)",
                               arguments: [AccountRef(kind: kind, workspaceId: id).description, id, kind.rawValue, kind.unit.rawValue])
            }
            var state = try SQLiteLedger.loadWorkspace(db, id: id)
            try SQLiteLedger.rollPeriodIfNeeded(db, &state, nowMillis: nowMillis)
            return try SQLiteStore.view(db, id: id, nowMillis: nowMillis)
        }
    }

    public func workspace(id: String) async throws -> WorkspaceView {
        let nowMillis = clock.nowMillis()
        return try await pool.read { db in try SQLiteStore.view(db, id: id, nowMillis: nowMillis) }
    }

    public func workspaces(limit: Int, cursor: String?) async throws -> Page<WorkspaceView> {
        let nowMillis = clock.nowMillis()
        let after = try listCursor(cursor) ?? 0
        return try await pool.read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT seq, id FROM workspaces WHERE seq > ? ORDER BY seq LIMIT ?", arguments: [after, limit + 1])
            let views = try rows.prefix(limit).map { try SQLiteStore.view(db, id: try $0.decode(atIndex: 1), nowMillis: nowMillis) }
            let next = rows.count > limit ? String(try rows[limit - 1].decode(Int64.self, atIndex: 0)) : nil
            return Page(items: views, nextCursor: next)
        }
    }

    /// The workspace as it stands at `nowMillis`: a period that has ended (or grants that
    /// have expired) are shown as the next write will settle them.
    static func view(_ db: Database, id: String, nowMillis: Int64) throws -> WorkspaceView {
        var state = try SQLiteLedger.loadWorkspace(db, id: id)
        let nowSeconds = nowMillis / 1000
        if nowSeconds >= state.period.end || nowSeconds < state.period.start {
            state.period = BillingPeriod.containing(nowSeconds, anchor: state.anchorDate)
            state.allowance = state.plan.monthlyAllowance
        }
        if let next = state.nextExpiryAtMillis, next <= nowMillis {
            let expired = try Int64.fetchOne(db, sql: "SELECT COALESCE(SUM(remaining_micros), 0) FROM credit_grants WHERE workspace_id = ? AND expires_at <= ?", arguments: [id, nowMillis]) ?? 0
            state.wallet -= Amount(micros: expired)
        }
        return WorkspaceView(
            id: state.id, name: state.name, planId: state.plan.id, status: state.status, anchorDate: state.anchorDate, period: state.period,
            remainingAllowance: state.allowance, remainingBalance: state.wallet, heldAmount: .zero, createdAtMillis: state.createdAtMillis,
            lowBalanceThreshold: state.lowBalanceThreshold)
    }

    public func updateWorkspace(id: String, patch: WorkspacePatch) async throws -> WorkspaceView {
        let nowMillis = clock.nowMillis()
        return try await write { db in
            var state = try SQLiteLedger.loadWorkspace(db, id: id)
            try SQLiteLedger.rollPeriodIfNeeded(db, &state, nowMillis: nowMillis)
            if let name = patch.name {
                try db.execute(sql: "UPDATE workspaces SET name = ? WHERE id = ?", arguments: [name, id])
            }
            if let status = patch.status {
                try db.execute(sql: "UPDATE workspaces SET status = ? WHERE id = ?", arguments: [status.rawValue, id])
            }
            if let threshold = patch.lowBalanceThreshold {
                try db.execute(sql: "UPDATE workspaces SET low_balance_threshold_micros = ? WHERE id = ?", arguments: [threshold.isZero ? nil : threshold.micros, id])
            }
            if let planId = patch.planId, planId != state.plan.id {
                try SQLiteStore.changePlan(db, state: state, to: planId, nowMillis: nowMillis)
            }
            return try SQLiteStore.view(db, id: id, nowMillis: nowMillis)
        }
    }

    /// Moves a workspace to another plan mid-period: the allowance left becomes the new
    /// plan's allowance less what this period already used, never below zero.
    static func changePlan(_ db: Database, state: WorkspaceState, to planId: String, nowMillis: Int64) throws {
        guard let newAllowance = try Int64.fetchOne(db, sql: "SELECT monthly_allowance_micros FROM plans WHERE id = ?", arguments: [planId]) else {
            throw TributeError.planNotFound(planId)
        }
        guard let left = Amount(micros: newAllowance).subtracting(state.periodUsed), let delta = max(.zero, left).subtracting(state.allowance) else {
            throw StoreFault.corruptAmount("workspaces.period_used_micros")
        }
        if !delta.isZero {
            let transaction = try LedgerTransaction(kind: .allowanceReset, postings: [
                Posting(account: .allowance(state.id), amount: delta),
                Posting(account: .system(.allowanceIssued), amount: -delta),
            ])
            try SQLiteLedger.append(db, transaction, id: Identifier.make("txn"), workspaceId: state.id, decisionId: nil, atMillis: nowMillis)
        }
        try db.execute(sql: "UPDATE workspaces SET plan_id = ? WHERE id = ?", arguments: [planId, state.id])
    }

    public func actionCosts() async throws -> [ActionCost] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT action_type, base_cost_micros, version, updated_at FROM action_types ORDER BY action_type")
                .map { ActionCost(actionType: try $0.decode(atIndex: 0), baseCost: Amount(micros: try $0.decode(atIndex: 1)), version: try $0.decode(atIndex: 2), updatedAt: try $0.decode(atIndex: 3)) }
        }
    }

    public func setActionCost(actionType: String, baseCost: Amount) async throws -> ActionCost {
        let nowMillis = clock.nowMillis()
        return try await write { db in
            let current = try Int64.fetchOne(db, sql: "SELECT version FROM action_types WHERE action_type = ?", arguments: [actionType])
            let (version, overflow) = (current ?? 0).addingReportingOverflow(1)
            guard !overflow else { throw StoreFault.corruptAmount("action_types.version") }
            if current == nil {
                try db.execute(sql: "INSERT INTO action_types (action_type, base_cost_micros, version, updated_at) VALUES (?, ?, ?, ?)", arguments: [actionType, baseCost.micros, version, nowMillis])
            } else {
                try db.execute(sql: "UPDATE action_types SET base_cost_micros = ?, version = ?, updated_at = ? WHERE action_type = ?", arguments: [baseCost.micros, version, nowMillis, actionType])
            }
            try db.execute(sql: "INSERT INTO action_cost_versions (action_type, version, base_cost_micros, created_at) VALUES (?, ?, ?, ?)", arguments: [actionType, version, baseCost.micros, nowMillis])
            return ActionCost(actionType: actionType, baseCost: baseCost, version: version, updatedAt: nowMillis)
        }
    }

    public func actionCostHistory(actionType: String) async throws -> [ActionCost] {
        let history = try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT action_type, base_cost_micros, version, created_at FROM action_cost_versions WHERE action_type = ? ORDER BY version DESC", arguments: [actionType])
                .map { ActionCost(actionType: try $0.decode(atIndex: 0), baseCost: Amount(micros: try $0.decode(atIndex: 1)), version: try $0.decode(atIndex: 2), updatedAt: try $0.decode(atIndex: 3)) }
        }
        guard !history.isEmpty else { throw TributeError.unknownActionType(actionType) }
        return history
    }

    public func plans() async throws -> [Plan] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, name, monthly_allowance_micros, overage_policy, overage_rate_micros, price_cents FROM plans ORDER BY id")
                .map { Plan(id: try $0.decode(atIndex: 0), name: try $0.decode(atIndex: 1), monthlyAllowance: Amount(micros: try $0.decode(atIndex: 2)), overagePolicy: OveragePolicy(rawValue: try $0.decode(atIndex: 3)) ?? .block, overageRate: Amount(micros: try $0.decode(atIndex: 4)), priceCents: try $0.decode(atIndex: 5)) }
        }
    }

    public func putPlan(_ plan: Plan) async throws -> Plan {
        let nowMillis = clock.nowMillis()
        return try await write { db in
            try db.execute(sql: """
                INSERT INTO plans (id, name, monthly_allowance_micros, overage_policy, overage_rate_micros, price_cents, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET name = excluded.name, monthly_allowance_micros = excluded.monthly_allowance_micros,
                    overage_policy = excluded.overage_policy, overage_rate_micros = excluded.overage_rate_micros,
                    price_cents = excluded.price_cents, updated_at = excluded.updated_at
                """, arguments: [plan.id, plan.name, plan.monthlyAllowance.micros, plan.overagePolicy.rawValue, plan.overageRate.micros, plan.priceCents, nowMillis])
            return plan
        }
    }

    public func grantCredits(workspaceId: String, grant: CreditGrantDraft) async throws -> CreditGrantView {
        let nowMillis = clock.nowMillis()
        if let expiresAt = grant.expiresAt, expiresAt <= nowMillis {
            throw TributeError.invalidValue("expiresAt must be in the future")
        }
        return try await write { db in
            var state = try SQLiteLedger.loadWorkspace(db, id: workspaceId)
            try SQLiteLedger.expireGrantsIfNeeded(db, &state, nowMillis: nowMillis)
            let grantId = Identifier.make("grant")
            let transactionId = Identifier.make("txn")
            let transaction = try LedgerTransaction.transfer(.creditGrant, grant.amount, from: .system(.grants), to: .wallet(workspaceId))
            try SQLiteLedger.append(db, transaction, id: transactionId, workspaceId: workspaceId, decisionId: nil, atMillis: nowMillis)
            try db.execute(sql: """
                INSERT INTO credit_grants (id, workspace_id, amount_micros, remaining_micros, expires_at, note, transaction_id, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [grantId, workspaceId, grant.amount.micros, grant.amount.micros, grant.expiresAt, grant.note, transactionId, nowMillis])
            if grant.expiresAt != nil { _ = try SQLiteLedger.refreshNextExpiry(db, workspaceId: workspaceId) }
            let transactionView = TransactionView(
                id: transactionId, workspaceId: workspaceId, kind: transaction.kind.rawValue, createdAtMillis: nowMillis, decisionId: nil,
                postings: transaction.postings.map { ($0.account.description, $0.unit.rawValue, $0.amount) })
            return CreditGrantView(id: grantId, workspaceId: workspaceId, amount: grant.amount, remaining: grant.amount, expiresAtMillis: grant.expiresAt, note: grant.note, createdAtMillis: nowMillis, transaction: transactionView)
        }
    }

    public func putBudget(workspaceId: String, scope: BudgetScope, limit: Amount, unit: BudgetUnit, period: BudgetPeriod) async throws -> BudgetView {
        let nowMillis = clock.nowMillis()
        return try await write { db in
            var state = try SQLiteLedger.loadWorkspace(db, id: workspaceId)
            try SQLiteLedger.rollPeriodIfNeeded(db, &state, nowMillis: nowMillis)
            let existing = try SQLiteStore.loadBudgets(db, workspaceId: workspaceId, scopes: [scope], periodStart: state.period.start).first
            // Use is kept across edits only while the unit stays the same.
            let used = existing.flatMap { $0.unit == unit ? $0.used : nil } ?? .zero
            try db.execute(sql: """
                INSERT INTO budgets (workspace_id, scope, limit_micros, unit, period, used_micros, period_start, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(workspace_id, scope) DO UPDATE SET limit_micros = excluded.limit_micros, unit = excluded.unit,
                    period = excluded.period, used_micros = excluded.used_micros, period_start = excluded.period_start
                """, arguments: [workspaceId, scope.description, limit.micros, unit.rawValue, period.rawValue, used.micros, state.period.start, nowMillis])
            return BudgetView(budget: Budget(scope: scope, limit: limit, unit: unit, period: period, used: used))
        }
    }

    public func budgets(workspaceId: String) async throws -> [BudgetView] {
        let nowMillis = clock.nowMillis()
        return try await pool.read { db in
            let workspace = try SQLiteStore.view(db, id: workspaceId, nowMillis: nowMillis)
            let scopes = try String.fetchAll(db, sql: "SELECT scope FROM budgets WHERE workspace_id = ? ORDER BY scope", arguments: [workspaceId]).compactMap(BudgetScope.init(parsing:))
            return try SQLiteStore.loadBudgets(db, workspaceId: workspaceId, scopes: scopes, periodStart: workspace.period.start).map(BudgetView.init(budget:))
        }
    }

    public func deleteBudget(workspaceId: String, scope: BudgetScope) async throws {
        try await write { db in
            _ = try SQLiteLedger.loadWorkspace(db, id: workspaceId)
            try db.execute(sql: "DELETE FROM budgets WHERE workspace_id = ? AND scope = ?", arguments: [workspaceId, scope.description])
            guard db.changesCount == 1 else { throw TributeError.budgetNotFound(scope.description) }
        }
    }
}
