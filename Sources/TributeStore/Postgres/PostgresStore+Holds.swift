import Logging
import PostgresNIO
import TributeCore

/// Holds (SPEC §3.1) on PostgreSQL. A hold, its commits and its release go through the
/// authorize batches (SPEC §8: hold + commit at least half the debit rate); an extension
/// is a transaction of its own under the workspace's row lock, which orders it with the
/// batches and the sweepers of every instance.
extension PostgresStore {
    public func hold(_ request: HoldRequest, idempotency: IdempotencyClaim?) async throws -> AuthorizeOutcome {
        try await batcher.submit(.hold(request.call, ttlSeconds: request.ttlSeconds, holdId: Identifier.make("hold")), claim: idempotency)
    }

    public func commitHold(_ commit: HoldCommit, canAccess: @escaping @Sendable (String) -> Bool, idempotency: IdempotencyClaim?) async throws -> AuthorizeOutcome {
        try await batcher.submit(.commit(commit, canAccess: canAccess), claim: idempotency)
    }

    public func releaseHold(id: String, canAccess: @escaping @Sendable (String) -> Bool, idempotency: IdempotencyClaim?) async throws -> AuthorizeOutcome {
        try await batcher.submit(.release(holdId: id, canAccess: canAccess), claim: idempotency)
    }

    public func extendHold(id: String, ttlSeconds: Int64, canAccess: @escaping @Sendable (String) -> Bool) async throws -> HoldRecord {
        let clock = self.clock
        return try await transaction { connection in
            let (hold, state, nowMillis) = try await PostgresStore.lockHold(connection, id: id, canAccess: canAccess, clock: clock)
            // The kernel moves the workspace's soonest hold expiry with a hold made shorter.
            let (extended, moved) = try Kernel.extendHold(hold, ttlSeconds: ttlSeconds, state: state, nowMillis: nowMillis)
            try await connection.run(HoldRows.upsert(extended, atMillis: nowMillis))
            try await connection.query("UPDATE workspaces SET next_hold_expiry_at = \(moved.nextHoldExpiryAtMillis) WHERE id = \(hold.workspaceId)",
                                       logger: PostgresLedger.logger)
            return extended
        }
    }

    public func hold(id: String, canAccess: @escaping @Sendable (String) -> Bool) async throws -> HoldRecord {
        let nowMillis = clock.nowMillis()
        let found = try await read { connection in try await connection.one(HoldRows.one(id: id), HoldRows.record) }
        guard let hold = found, canAccess(hold.workspaceId) else { throw TributeError.holdNotFound(id) }
        return hold.seen(atMillis: nowMillis)
    }

    public func holds(workspaceId: String, status: HoldRecord.Status?, limit: Int, cursor: String?) async throws -> Page<HoldRecord> {
        let nowMillis = clock.nowMillis()
        let query = HoldRows.page(workspaceId: workspaceId, status: status, nowMillis: nowMillis, beforeSeq: try listCursor(cursor) ?? Int64.max, limit: limit)
        let found = try await read { connection in
            try await PostgresStore.requireWorkspace(connection, workspaceId)
            return page(try await connection.all(query, HoldRows.numbered), limit: limit)
        }
        return Page(items: found.items.map { $0.seen(atMillis: nowMillis) }, nextCursor: found.nextCursor)
    }

    /// What settling holds outside a batch needs besides them: their workspace, locked, the grants
    /// they drew from (even used up), the budgets of their scopes and the system totals.
    struct HoldLedger: Sendable {
        var state: WorkspaceState
        var grants: OpenGrants
        var budgets: [StoredBudget]
        var system: SystemBalances

        /// The budgets of `hold`'s scopes among `budgets`.
        func budgets(of hold: HoldRecord) -> [StoredBudget] {
            budgets.filter { budget in hold.budgets.contains { $0.scope == budget.budget.scope } }
        }
    }

    /// The hold, its workspace locked, and the time read once the lock is held (its wait
    /// must not make the step older than the calls it waited for).
    /// - Throws: `holdNotFound`, also for a hold of a workspace the caller may not touch.
    static func lockHold(
        _ connection: PostgresConnection, id: String, canAccess: @Sendable (String) -> Bool, clock: any WallClock
    ) async throws -> (HoldRecord, WorkspaceState, nowMillis: Int64) {
        guard let workspaceId = try await connection.query("SELECT workspace_id FROM holds WHERE id = \(id)", logger: PostgresLedger.logger)
            .firstRow()?.decode(String.self), canAccess(workspaceId) else { throw TributeError.holdNotFound(id) }
        let state = try await PostgresLedger.lockWorkspace(connection, id: workspaceId)
        let nowMillis = clock.nowMillis()
        guard let hold = try await connection.one(HoldRows.one(id: id), HoldRows.record) else { throw TributeError.holdNotFound(id) }
        return (hold, state, nowMillis)
    }

    /// Reads what steps of `holds` need, under the workspace's lock.
    static func holdLedger(_ connection: PostgresConnection, state: WorkspaceState, holds: [HoldRecord]) async throws -> HoldLedger {
        let grants = try await PostgresLedger.openGrants(connection, workspaceId: state.id, including: HoldRows.drawnGrantIds(holds))
        var scopes: [String] = []
        for hold in holds { for reservation in hold.budgets where !scopes.contains(reservation.scope.description) { scopes.append(reservation.scope.description) } }
        var budgets: [StoredBudget] = []
        if !scopes.isEmpty {
            for try await row in try await connection.query(
                "SELECT \(unescaped: PostgresRows.budgetColumns) FROM budgets WHERE workspace_id = \(state.id) AND scope = ANY(\(scopes))", logger: PostgresLedger.logger
            ) { budgets.append(try PostgresRows.budget(row).1) }
            budgets = BudgetRows.dated(budgets, try await connection.all(BudgetRows.createdAt(workspaceId: state.id), BudgetRows.createdAt))
        }
        return HoldLedger(state: state, grants: OpenGrants(grants), budgets: budgets, system: try await PostgresLedger.systemTotals(connection))
    }
}

extension PostgresBatchWrites {
    /// Writes one step's effects in the caller's transaction, as a batch writes its calls'.
    static func write(_ effects: LedgerEffects, _ connection: PostgresConnection, nowMillis: Int64) async throws {
        var writes = PostgresBatchWrites(nowMillis: nowMillis)
        writes.add(effects)
        writes.finish(effects.workspace, grants: effects.grants ?? OpenGrants([]))
        for budget in effects.budgets { writes.budget(KeyRef(workspaceId: effects.workspace.id, key: budget.budget.scope.description), budget) }
        try await writes.execute(connection, logger: PostgresLedger.logger)
    }
}
