import GRDB
import TributeCore

extension SQLiteStore {
    public func authorize(_ request: AuthorizeRequest, idempotency: IdempotencyClaim?) async throws -> AuthorizeOutcome {
        let clock = self.clock
        let hot = writer.hot
        // Made here, on the caller's thread: the writer's time is the service's throughput.
        let ids = Kernel.Ids.make()
        let result = try await write(usesHotState: true) { db in
            try SQLiteStore.authorize(db, hot: hot, request, idempotency: idempotency, ids: ids, nowMillis: clock.nowMillis())
        }
        switch result {
        case .answered(let answer): return AuthorizeOutcome(answer)
        case .stored(let outcome): return outcome
        }
    }

    /// What an authorize job hands back: a fresh answer, encoded by the caller off the
    /// writer's thread, or a body already encoded because an idempotency key stores it.
    enum AuthorizeResult: Sendable {
        case answered(AuthorizeAnswer)
        case stored(AuthorizeOutcome)
    }

    /// The whole authorize-and-debit step inside one job of the writer's batch, on the
    /// writer's cached state; its rows are written by `hot` at the end of the batch. Its
    /// one SQL write of its own, the idempotency key, comes last, so a failed job leaves
    /// nothing behind.
    static func authorize(_ db: Database, hot: HotState, _ request: AuthorizeRequest, idempotency: IdempotencyClaim?, ids: Kernel.Ids, nowMillis: Int64) throws -> AuthorizeResult {
        if let idempotency, let replay = try replay(db, workspaceId: request.workspaceId, claim: idempotency) { return .stored(replay) }
        let state = try hot.workspace(db, id: request.workspaceId)
        let inputs = try KernelInputs(db, hot: hot, state: state, nowMillis: nowMillis)
        let authorized = try Kernel.authorize(
            request, state: state, cost: try hot.cost(db, actionType: request.actionType),
            budgets: try hot.budgets(db, workspaceId: state.id, scopes: request.budgetScopes),
            grants: inputs.grants, holds: inputs.holds, system: try hot.systemBalances(db), ids: ids, nowMillis: nowMillis)
        var result = AuthorizeResult.answered(authorized.answer)
        if let idempotency {
            let outcome = AuthorizeOutcome(authorized.answer)
            try store(db, outcome, workspaceId: state.id, claim: idempotency, nowMillis: nowMillis)
            result = .stored(outcome)
        }
        hot.commitJob(authorized.effects, system: authorized.system)
        return result
    }

    /// Keeps an answer with its idempotency key, for `replay`.
    static func store(_ db: Database, _ outcome: AuthorizeOutcome, workspaceId: String, claim: IdempotencyClaim, nowMillis: Int64) throws {
        try db.cachedStatement(sql: "INSERT INTO idempotency_keys (workspace_id, key, request_hash, response_body, approved, created_at) VALUES (?, ?, ?, ?, ?, ?)")
            .execute(arguments: [workspaceId, claim.key, claim.requestHash, outcome.body, outcome.approved, nowMillis])
    }

    /// The stored answer for a key already used with the same request.
    /// - Throws: `idempotencyKeyReused` when the key came with a different request.
    static func replay(_ db: Database, workspaceId: String, claim: IdempotencyClaim) throws -> AuthorizeOutcome? {
        guard let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT request_hash, response_body, approved FROM idempotency_keys WHERE workspace_id = ? AND key = ?"),
            arguments: [workspaceId, claim.key]) else { return nil }
        guard (try row.decode(atIndex: 0) as String) == claim.requestHash else { throw TributeError.idempotencyKeyReused }
        return AuthorizeOutcome(body: try row.decode(atIndex: 1), replayed: true, approved: try row.decode(atIndex: 2))
    }

    /// One budget as stored, or `nil` when the scope has none.
    static func loadStoredBudget(_ db: Database, workspaceId: String, scope: BudgetScope) throws -> StoredBudget? {
        try Row.fetchOne(
            db.cachedStatement(sql: "SELECT scope, limit_micros, unit, period, used_micros, period_start FROM budgets WHERE workspace_id = ? AND scope = ?"),
            arguments: [workspaceId, scope.description]
        ).map(storedBudget)
    }

    /// At most `limit` budgets of the workspace.
    static func loadStoredBudgets(_ db: Database, workspaceId: String, limit: Int) throws -> [StoredBudget] {
        try Row.fetchAll(
            db.cachedStatement(sql: "SELECT scope, limit_micros, unit, period, used_micros, period_start FROM budgets WHERE workspace_id = ? LIMIT ?"),
            arguments: [workspaceId, limit]
        ).map(storedBudget)
    }

    /// A budget row (scope, limit, unit, period, used, period start).
    /// - Throws: `StoreFault.unknownValue` for a value Tribute never writes.
    private static func storedBudget(_ row: Row) throws -> StoredBudget {
        let scopeText: String = try row.decode(atIndex: 0), unitText: String = try row.decode(atIndex: 2), periodText: String = try row.decode(atIndex: 3)
        guard let scope = BudgetScope(parsing: scopeText) else { throw StoreFault.unknownValue("budgets.scope", scopeText) }
        guard let unit = BudgetUnit(rawValue: unitText) else { throw StoreFault.unknownValue("budgets.unit", unitText) }
        guard let period = BudgetPeriod(rawValue: periodText) else { throw StoreFault.unknownValue("budgets.period", periodText) }
        let budget = Budget(scope: scope, limit: Amount(micros: try row.decode(atIndex: 1)), unit: unit, period: period, used: Amount(micros: try row.decode(atIndex: 4)))
        return StoredBudget(budget: budget, periodStart: try row.decode(atIndex: 5))
    }
}
