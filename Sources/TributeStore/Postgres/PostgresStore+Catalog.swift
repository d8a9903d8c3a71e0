import Logging
import PostgresNIO
import TributeCore

extension PostgresStore {
    public func authorize(_ request: AuthorizeRequest, idempotency: IdempotencyClaim?) async throws -> AuthorizeOutcome {
        try await batcher.submit(.authorize(request), claim: idempotency)
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
            for kind in [AccountKind.wallet, .allowance, .heldAllowance, .heldCredits] {
                try await connection.query("""
                    INSERT INTO accounts (id, workspace_id, kind, unit, allows_negative, balance_micros)
                    VALUES (\(AccountRef(kind: kind, workspaceId: id).description), \(id), \(kind.rawValue), \(kind.unit.rawValue), FALSE, 0)
                    """, logger: logger)
            }
            var state = try await PostgresLedger.lockWorkspace(connection, id: id)
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
        let stored = try await PostgresLedger.readWorkspace(connection, id: id)
        var expired = Amount.zero
        if stored.hasExpiredGrants(nowMillis: nowMillis) {
            expired = Amount(micros: try await connection.query("""
                SELECT COALESCE(SUM(remaining_micros), 0)::bigint FROM credit_grants WHERE workspace_id = \(id) AND expires_at <= \(nowMillis)
                """, logger: PostgresLedger.logger).firstRow()?.decode(Int64.self) ?? 0)
        }
        let state = stored.projected(nowMillis: nowMillis, expiredCredits: expired)
        return WorkspaceView(state)
    }

    public func updateWorkspace(id: String, patch: WorkspacePatch) async throws -> WorkspaceView {
        let nowMillis = clock.nowMillis()
        try await transaction { connection in
            var state = try await PostgresLedger.lockWorkspace(connection, id: id)
            try await PostgresLedger.rollPeriodIfNeeded(connection, &state, nowMillis: nowMillis)
            var plan: Plan?
            if let planId = patch.planId { plan = try await connection.one(PlanRows.one(id: planId), PlanRows.plan) }
            let patched = try WorkspaceRows.patched(&state, patch, plan: plan, nowMillis: nowMillis)
            if let transaction = patched.transaction { try await PostgresLedger.append(connection, transaction) }
            for statement in patched.statements { try await connection.run(statement) }
        }
        return try await workspace(id: id)
    }

    public func actionCosts() async throws -> [ActionCost] {
        try await read { connection in try await connection.all(ActionCostRows.all, ActionCostRows.cost) }
    }

    public func setActionCost(actionType: String, baseCost: Amount, tokenRates: TokenRates?) async throws -> ActionCost {
        let nowMillis = clock.nowMillis()
        return try await transaction { connection in
            // The type's row lock orders concurrent edits; a type new to every instance is
            // created by exactly one of them.
            try await connection.run(ActionCostRows.createIfAbsent(ActionCost(actionType: actionType, baseCost: baseCost, tokenRates: tokenRates, version: 1, updatedAt: nowMillis), nowMillis: nowMillis))
            let stored = try await connection.one(ActionCostRows.current(actionType: actionType).appending("FOR UPDATE"), ActionCostRows.stored)
            let cost = ActionCost(actionType: actionType, baseCost: baseCost, tokenRates: tokenRates, version: try ActionCostRows.versionAfter(stored),
                                  updatedAt: nowMillis)
            for statement in ActionCostRows.writes(cost) { try await connection.run(statement) }
            return cost
        }
    }

    public func actionCostHistory(actionType: String) async throws -> [ActionCost] {
        let history = try await read { connection in try await connection.all(ActionCostRows.history(actionType: actionType), ActionCostRows.cost) }
        guard !history.isEmpty else { throw TributeError.unknownActionType(actionType) }
        return history
    }

    public func plans() async throws -> [Plan] {
        try await read { connection in try await connection.all(PlanRows.all, PlanRows.plan) }
    }

    public func putPlan(_ plan: Plan) async throws -> Plan {
        let put = PlanRows.put(plan, nowMillis: clock.nowMillis())
        try await transaction { connection in try await connection.run(put) }
        return plan
    }

    public func grantCredits(workspaceId: String, grant: CreditGrantDraft) async throws -> CreditGrantView {
        let issue = try GrantIssue(workspaceId: workspaceId, draft: grant, nowMillis: clock.nowMillis())
        return try await transaction { connection in
            var state = try await PostgresLedger.lockWorkspace(connection, id: workspaceId)
            try await PostgresLedger.expireGrantsIfNeeded(connection, &state, nowMillis: issue.view.createdAtMillis)
            try await PostgresLedger.append(connection, issue.transaction)
            try await connection.run(issue.insert)
            if grant.expiresAt != nil { _ = try await PostgresLedger.refreshNextExpiry(connection, workspaceId: workspaceId) }
            return issue.view
        }
    }

    public func grants(workspaceId: String, limit: Int, cursor: String?) async throws -> Page<CreditGrantView> {
        let query = GrantRows.page(workspaceId: workspaceId, afterId: cursor, limit: limit)
        return try await read { connection in
            try await PostgresStore.requireWorkspace(connection, workspaceId)
            if let cursor, try await !connection.exists(GrantRows.cursorExists(cursor, workspaceId: workspaceId)) {
                throw TributeError.invalidValue("cursor is not one this service gave")
            }
            return GrantRows.pageOf(try await connection.all(query, GrantRows.view), limit: limit)
        }
    }

    public func setGrantPriority(workspaceId: String, grantId: String, priority: Int) async throws -> CreditGrantView {
        guard GrantTerms.priorityRange.contains(priority) else { throw TributeError.invalidValue("priority must be from 0 to 100") }
        return try await transaction { connection in
            // The workspace's lock orders this against its calls, which read the order.
            _ = try await PostgresLedger.lockWorkspace(connection, id: workspaceId)
            guard try await connection.runChangingRows(GrantRows.setPriority(priority, grantId: grantId, workspaceId: workspaceId)),
                  let view = try await connection.one(GrantRows.one(id: grantId), GrantRows.view) else { throw TributeError.grantNotFound(grantId) }
            return view
        }
    }

    public func putBudget(workspaceId: String, scope: BudgetScope, limit: Amount, unit: BudgetUnit, period: BudgetPeriod, maxBudgets: Int) async throws -> BudgetView {
        let nowMillis = clock.nowMillis()
        return try await transaction { connection in
            var state = try await PostgresLedger.lockWorkspace(connection, id: workspaceId)
            try await PostgresLedger.rollPeriodIfNeeded(connection, &state, nowMillis: nowMillis)
            let existing = try await connection.one(BudgetRows.one(workspaceId: workspaceId, scope: scope), BudgetRows.stored)
            // The workspace's row lock orders every put and delete of its budgets, on every
            // instance: no other one inserts between this count and this insert.
            if existing == nil {
                let count = try await connection.one(BudgetRows.count(workspaceId: workspaceId, upTo: maxBudgets), BudgetRows.count) ?? 0
                try BudgetRows.checkRoom(existing: existing, count: count, maxBudgets: maxBudgets)
            }
            let budget = BudgetRows.replacing(existing?.current(billing: state.period, nowMillis: nowMillis), scope: scope, limit: limit, unit: unit, period: period)
            let stored = BudgetRows.stored(budget, over: existing, billing: state.period, nowMillis: nowMillis)
            try await connection.run(BudgetRows.put(workspaceId: workspaceId, budget, periodStart: stored.periodStart, nowMillis: nowMillis))
            return BudgetView(stored, billing: state.period, nowMillis: nowMillis)
        }
    }

    public func budgets(workspaceId: String, limit: Int, cursor: String?) async throws -> Page<BudgetView> {
        let nowMillis = clock.nowMillis()
        let query = BudgetRows.page(workspaceId: workspaceId, after: try BudgetRows.scope(cursor: cursor), limit: limit + 1)
        return try await read { connection in
            let billing = try await PostgresStore.view(connection, id: workspaceId, nowMillis: nowMillis).period
            return BudgetRows.page(try await connection.all(query, BudgetRows.stored), limit: limit, billing: billing, nowMillis: nowMillis)
        }
    }

    public func deleteBudget(workspaceId: String, scope: BudgetScope) async throws {
        try await transaction { connection in
            _ = try await PostgresLedger.lockWorkspace(connection, id: workspaceId)
            guard try await connection.runChangingRows(BudgetRows.delete(workspaceId: workspaceId, scope: scope)) else {
                throw TributeError.budgetNotFound(scope.description)
            }
        }
    }
}
