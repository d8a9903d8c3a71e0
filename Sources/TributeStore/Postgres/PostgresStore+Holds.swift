import Logging
import PostgresNIO
import TributeCore

/// Holds (SPEC §3.1) on PostgreSQL. A hold is made in the authorize batches; each later
/// step of it is a transaction of its own under its workspace's row lock, which orders it
/// with the batches and the sweepers of every instance.
extension PostgresStore {
    public func hold(_ request: HoldRequest, idempotency: IdempotencyClaim?) async throws -> AuthorizeOutcome {
        try await batcher.submit(request.call, claim: idempotency, hold: PostgresBatcher.HoldOrder(ttlSeconds: request.ttlSeconds, holdId: Identifier.make("hold")))
    }

    public func commitHold(_ commit: HoldCommit, canAccess: @escaping @Sendable (String) -> Bool, idempotency: IdempotencyClaim?) async throws -> AuthorizeOutcome {
        try await moveHold(id: commit.holdId, canAccess: canAccess, idempotency: idempotency) { hold, ledger, ids, nowMillis in
            try Kernel.commitHold(hold, actual: commit.actual, final: commit.final, state: ledger.state, grants: ledger.grants, budgets: ledger.budgets,
                                  system: ledger.system, ids: ids, nowMillis: nowMillis)
        }
    }

    public func releaseHold(id: String, canAccess: @escaping @Sendable (String) -> Bool, idempotency: IdempotencyClaim?) async throws -> AuthorizeOutcome {
        try await moveHold(id: id, canAccess: canAccess, idempotency: idempotency) { hold, ledger, ids, nowMillis in
            try Kernel.releaseHold(hold, state: ledger.state, grants: ledger.grants, budgets: ledger.budgets, system: ledger.system, ids: ids, nowMillis: nowMillis)
        }
    }

    public func extendHold(id: String, ttlSeconds: Int64, canAccess: @escaping @Sendable (String) -> Bool) async throws -> HoldRecord {
        let clock = self.clock
        return try await transaction { connection in
            let (hold, _, nowMillis) = try await PostgresStore.lockHold(connection, id: id, canAccess: canAccess, clock: clock)
            let extended = try Kernel.extendHold(hold, ttlSeconds: ttlSeconds, nowMillis: nowMillis)
            try await connection.run(HoldRows.upsert(extended, atMillis: nowMillis))
            // A hold may be extended to end sooner than it would have: calls must still
            // free its amounts from its new expiry on.
            try await connection.query("""
                UPDATE workspaces SET next_hold_expiry_at = LEAST(next_hold_expiry_at, \(extended.expiresAtMillis)) WHERE id = \(hold.workspaceId)
                """, logger: PostgresLedger.logger)
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
        let query = HoldRows.page(workspaceId: workspaceId, status: status, beforeSeq: try listCursor(cursor) ?? Int64.max, limit: limit)
        let found = try await read { connection in
            try await PostgresStore.requireWorkspace(connection, workspaceId)
            return page(try await connection.all(query, HoldRows.numbered), limit: limit)
        }
        return Page(items: found.items.map { $0.seen(atMillis: nowMillis) }, nextCursor: found.nextCursor)
    }

    /// What a step of a hold needs besides the hold: its workspace, locked, with the grants
    /// its holds drew from (even used up), the budgets of their scopes and the system totals.
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

    /// Commits or releases a hold in one transaction: the hold read under its workspace's
    /// lock, the idempotency key looked up there (a repeat replays the stored body), the
    /// kernel's step, its effects and the answer stored with the key.
    private func moveHold(
        id: String, canAccess: @escaping @Sendable (String) -> Bool, idempotency claim: IdempotencyClaim?,
        _ step: @escaping @Sendable (HoldRecord, HoldLedger, Kernel.Ids, Int64) throws -> Kernel.HoldStep
    ) async throws -> AuthorizeOutcome {
        let ids = Kernel.Ids.make()
        let clock = self.clock
        return try await transaction { connection in
            let (hold, state, nowMillis) = try await PostgresStore.lockHold(connection, id: id, canAccess: canAccess, clock: clock)
            if let claim, let stored = try await PostgresStore.storedAnswer(connection, workspaceId: hold.workspaceId, claim: claim) { return stored }
            let ledger = try await PostgresStore.holdLedger(connection, state: state, holds: [hold])
            let moved = try step(hold, ledger, ids, nowMillis)
            if let claim { try await PostgresStore.storeAnswer(connection, workspaceId: hold.workspaceId, claim: claim, moved.outcome, nowMillis: nowMillis) }
            try await PostgresBatchWrites.write(moved.effects, connection, nowMillis: nowMillis)
            return moved.outcome
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

    /// The body stored with the key in the workspace, or `nil` when the key is new.
    /// - Throws: `idempotencyKeyReused` when the key was used for another request.
    static func storedAnswer(_ connection: PostgresConnection, workspaceId: String, claim: IdempotencyClaim) async throws -> AuthorizeOutcome? {
        guard let row = try await connection.query(
            "SELECT request_hash, response_body, approved FROM idempotency_keys WHERE workspace_id = \(workspaceId) AND key = \(claim.key)",
            logger: PostgresLedger.logger
        ).firstRow() else { return nil }
        let (hash, body, approved) = try row.decode((String, String?, Bool?).self)
        guard hash == claim.requestHash, let body, let approved else { throw TributeError.idempotencyKeyReused }
        return AuthorizeOutcome(body: body, replayed: true, approved: approved)
    }

    /// Stores the answer with its key, in the step's transaction.
    /// - Throws: `idempotencyKeyReused` when another request claimed the key meanwhile.
    static func storeAnswer(_ connection: PostgresConnection, workspaceId: String, claim: IdempotencyClaim, _ outcome: AuthorizeOutcome, nowMillis: Int64) async throws {
        guard try await connection.query("""
            INSERT INTO idempotency_keys (workspace_id, key, request_hash, response_body, approved, created_at)
            VALUES (\(workspaceId), \(claim.key), \(claim.requestHash), \(outcome.body), \(outcome.approved), \(nowMillis))
            ON CONFLICT DO NOTHING RETURNING 1
            """, logger: PostgresLedger.logger).firstRow() != nil else { throw TributeError.idempotencyKeyReused }
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
