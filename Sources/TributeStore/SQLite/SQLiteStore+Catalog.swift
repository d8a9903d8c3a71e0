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
            try SQLiteHoldSchema.createAccounts(db, workspaceId: id)
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
        let stored = try SQLiteLedger.loadWorkspace(db, id: id)
        var expired = Amount.zero
        if stored.hasExpiredGrants(nowMillis: nowMillis) {
            expired = Amount(micros: try Int64.fetchOne(
                db, sql: "SELECT COALESCE(SUM(remaining_micros), 0) FROM credit_grants WHERE workspace_id = ? AND expires_at <= ?", arguments: [id, nowMillis]) ?? 0)
        }
        let state = stored.projected(nowMillis: nowMillis, expiredCredits: expired)
        return WorkspaceView(state)
    }

    public func updateWorkspace(id: String, patch: WorkspacePatch) async throws -> WorkspaceView {
        let nowMillis = clock.nowMillis()
        return try await write { db in
            var state = try SQLiteLedger.loadWorkspace(db, id: id)
            try SQLiteLedger.rollPeriodIfNeeded(db, &state, nowMillis: nowMillis)
            let plan = try patch.planId.flatMap { try db.one(PlanRows.one(id: $0), PlanRows.plan) }
            let patched = try WorkspaceRows.patched(&state, patch, plan: plan, nowMillis: nowMillis)
            if let transaction = patched.transaction { try SQLiteLedger.append(db, transaction) }
            for statement in patched.statements { try db.run(statement) }
            return try SQLiteStore.view(db, id: id, nowMillis: nowMillis)
        }
    }

    public func actionCosts() async throws -> [ActionCost] {
        try await pool.read { db in try db.all(ActionCostRows.all, ActionCostRows.cost) }
    }

    public func setActionCost(actionType: String, baseCost: Amount, tokenRates: TokenRates?) async throws -> ActionCost {
        let nowMillis = clock.nowMillis()
        return try await write { db in
            try db.run(ActionCostRows.createIfAbsent(ActionCost(actionType: actionType, baseCost: baseCost, tokenRates: tokenRates, version: 1, updatedAt: nowMillis), nowMillis: nowMillis))
            let stored = try db.one(ActionCostRows.current(actionType: actionType), ActionCostRows.stored)
            let cost = ActionCost(actionType: actionType, baseCost: baseCost, tokenRates: tokenRates, version: try ActionCostRows.versionAfter(stored),
                                  updatedAt: nowMillis)
            for statement in ActionCostRows.writes(cost) { try db.run(statement) }
            return cost
        }
    }

    public func actionCostHistory(actionType: String) async throws -> [ActionCost] {
        let history = try await pool.read { db in try db.all(ActionCostRows.history(actionType: actionType), ActionCostRows.cost) }
        guard !history.isEmpty else { throw TributeError.unknownActionType(actionType) }
        return history
    }

    public func plans() async throws -> [Plan] {
        try await pool.read { db in try db.all(PlanRows.all, PlanRows.plan) }
    }

    public func putPlan(_ plan: Plan) async throws -> Plan {
        let put = PlanRows.put(plan, nowMillis: clock.nowMillis())
        try await write { db in try db.run(put) }
        return plan
    }

    public func grantCredits(workspaceId: String, grant: CreditGrantDraft) async throws -> CreditGrantView {
        let issue = try GrantIssue(workspaceId: workspaceId, draft: grant, nowMillis: clock.nowMillis())
        return try await write { db in
            var state = try SQLiteLedger.loadWorkspace(db, id: workspaceId)
            try SQLiteLedger.expireGrantsIfNeeded(db, &state, nowMillis: issue.view.createdAtMillis)
            try SQLiteLedger.append(db, issue.transaction)
            try db.run(issue.insert)
            if grant.expiresAt != nil { _ = try SQLiteLedger.refreshNextExpiry(db, workspaceId: workspaceId) }
            return issue.view
        }
    }

    public func grants(workspaceId: String, limit: Int, cursor: String?) async throws -> Page<CreditGrantView> {
        let query = GrantRows.page(workspaceId: workspaceId, afterId: cursor, limit: limit)
        return try await pool.read { db in
            try SQLiteStore.requireWorkspace(db, workspaceId)
            if let cursor, try !db.exists(GrantRows.cursorExists(cursor, workspaceId: workspaceId)) {
                throw TributeError.invalidValue("cursor is not one this service gave")
            }
            return GrantRows.pageOf(try db.all(query, GrantRows.view), limit: limit)
        }
    }

    public func setGrantPriority(workspaceId: String, grantId: String, priority: Int) async throws -> CreditGrantView {
        guard GrantTerms.priorityRange.contains(priority) else { throw TributeError.invalidValue("priority must be from 0 to 100") }
        return try await write { db in
            try SQLiteStore.requireWorkspace(db, workspaceId)
            guard try db.runChangingRows(GrantRows.setPriority(priority, grantId: grantId, workspaceId: workspaceId)),
                  let view = try db.one(GrantRows.one(id: grantId), GrantRows.view) else { throw TributeError.grantNotFound(grantId) }
            return view
        }
    }

    public func putBudget(workspaceId: String, scope: BudgetScope, limit: Amount, unit: BudgetUnit, period: BudgetPeriod, maxBudgets: Int) async throws -> BudgetView {
        let nowMillis = clock.nowMillis()
        return try await write { db in
            var state = try SQLiteLedger.loadWorkspace(db, id: workspaceId)
            try SQLiteLedger.rollPeriodIfNeeded(db, &state, nowMillis: nowMillis)
            let existing = try db.one(BudgetRows.one(workspaceId: workspaceId, scope: scope), BudgetRows.stored)
            // The one writer: no other put runs between this count and the insert.
            if existing == nil {
                let count = try db.one(BudgetRows.count(workspaceId: workspaceId, upTo: maxBudgets), BudgetRows.count) ?? 0
                try BudgetRows.checkRoom(existing: existing, count: count, maxBudgets: maxBudgets)
            }
            let budget = BudgetRows.replacing(existing?.current(billing: state.period, nowMillis: nowMillis), scope: scope, limit: limit, unit: unit, period: period)
            let stored = BudgetRows.stored(budget, over: existing, billing: state.period, nowMillis: nowMillis)
            try db.run(BudgetRows.put(workspaceId: workspaceId, budget, periodStart: stored.periodStart, nowMillis: nowMillis))
            return BudgetView(stored, billing: state.period, nowMillis: nowMillis)
        }
    }

    public func budgets(workspaceId: String, limit: Int, cursor: String?) async throws -> Page<BudgetView> {
        let nowMillis = clock.nowMillis()
        let query = BudgetRows.page(workspaceId: workspaceId, after: try BudgetRows.scope(cursor: cursor), limit: limit + 1)
        return try await pool.read { db in
            let billing = try SQLiteStore.view(db, id: workspaceId, nowMillis: nowMillis).period
            return BudgetRows.page(try db.all(query, BudgetRows.stored), limit: limit, billing: billing, nowMillis: nowMillis)
        }
    }

    public func deleteBudget(workspaceId: String, scope: BudgetScope) async throws {
        try await write { db in
            _ = try SQLiteLedger.loadWorkspace(db, id: workspaceId)
            guard try db.runChangingRows(BudgetRows.delete(workspaceId: workspaceId, scope: scope)) else { throw TributeError.budgetNotFound(scope.description) }
        }
    }
}
