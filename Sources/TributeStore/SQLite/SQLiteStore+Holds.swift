import GRDB
import TributeCore

/// Holds (SPEC §3.1) go through the writer's hot path like authorize: a hold and its
/// commit read nothing once cached and write their rows at the end of the batch, which is
/// what keeps hold + commit at least half the debit rate (SPEC §8). Reads of holds come
/// from the pool and see what the writer has committed.
extension SQLiteStore {
    /// What a job that moves a hold hands back: the body, made off the writer's thread
    /// unless an idempotency key stored it already.
    typealias HoldAnswerBody = @Sendable () -> AuthorizeOutcome

    public func hold(_ request: HoldRequest, idempotency: IdempotencyClaim?) async throws -> AuthorizeOutcome {
        let clock = self.clock
        let hot = writer.hot
        let ids = Kernel.Ids.make()
        let holdId = Identifier.make("hold")
        let body = try await write(usesHotState: true) { db -> HoldAnswerBody in
            let nowMillis = clock.nowMillis()
            if let idempotency, let replay = try SQLiteStore.replay(db, workspaceId: request.call.workspaceId, claim: idempotency) { return { replay } }
            let state = try hot.workspace(db, id: request.call.workspaceId)
            let inputs = try KernelInputs(db, hot: hot, state: state, nowMillis: nowMillis)
            let held = try Kernel.hold(
                request.call, ttlSeconds: request.ttlSeconds, holdId: holdId, state: state, cost: try hot.cost(db, actionType: request.call.actionType),
                budgets: try hot.budgets(db, workspaceId: state.id, scopes: request.call.budgetScopes), grants: inputs.grants, holds: inputs.holds,
                system: try hot.systemBalances(db), ids: ids, nowMillis: nowMillis)
            var body: HoldAnswerBody = { [answer = held.answer, hold = held.hold] in HoldAnswer.created(answer, hold: hold) }
            if let idempotency {
                let outcome = held.outcome
                try SQLiteStore.store(db, outcome, workspaceId: state.id, claim: idempotency, nowMillis: nowMillis)
                body = { outcome }
            }
            hot.commitJob(held.effects, system: held.system)
            return body
        }
        return body()
    }

    public func commitHold(_ commit: HoldCommit, canAccess: @escaping @Sendable (String) -> Bool, idempotency: IdempotencyClaim?) async throws -> AuthorizeOutcome {
        try await stepHold(id: commit.holdId, canAccess: canAccess, idempotency: idempotency) { hold, state, grants, budgets, system, ids, nowMillis in
            try Kernel.commitHold(hold, actual: commit.actual, final: commit.final, state: state, grants: grants, budgets: budgets, system: system, ids: ids, nowMillis: nowMillis)
        }
    }

    public func releaseHold(id: String, canAccess: @escaping @Sendable (String) -> Bool, idempotency: IdempotencyClaim?) async throws -> AuthorizeOutcome {
        try await stepHold(id: id, canAccess: canAccess, idempotency: idempotency) { hold, state, grants, budgets, system, ids, nowMillis in
            try Kernel.releaseHold(hold, state: state, grants: grants, budgets: budgets, system: system, ids: ids, nowMillis: nowMillis)
        }
    }

    /// A kernel step of a hold after it was made (`Kernel.commitHold`, `Kernel.releaseHold`).
    typealias HoldStepRule = (HoldRecord, WorkspaceState, OpenGrants, [StoredBudget], SystemBalances, Kernel.Ids, Int64) throws -> Kernel.HoldStep

    /// Runs a step of a hold in one hot job: the hold (a workspace the caller may not touch
    /// has none), a replay when the key was used, the state the step needs, the step, the
    /// answer kept with the key — the job's one SQL write, last — and the effects.
    private func stepHold(id: String, canAccess: @escaping @Sendable (String) -> Bool, idempotency: IdempotencyClaim?,
                          _ rule: @escaping HoldStepRule) async throws -> AuthorizeOutcome {
        let clock = self.clock
        let hot = writer.hot
        let ids = Kernel.Ids.make()
        let body = try await write(usesHotState: true) { db -> HoldAnswerBody in
            let nowMillis = clock.nowMillis()
            guard let hold = try hot.hold(db, id: id), canAccess(hold.workspaceId) else { throw TributeError.holdNotFound(id) }
            if let idempotency, let replay = try SQLiteStore.replay(db, workspaceId: hold.workspaceId, claim: idempotency) { return { replay } }
            let state = try hot.workspace(db, id: hold.workspaceId)
            // Credits go back to the grants they came from, even those used up since.
            let grants = OpenGrants(try hot.grants(db, workspaceId: state.id, including: HoldRows.drawnGrantIds([hold])))
            let step = try rule(hold, state, grants, try SQLiteStore.datedBudgets(db, hot: hot, hold: hold), try hot.systemBalances(db), ids, nowMillis)
            var body: HoldAnswerBody = { step.outcome }
            if let idempotency {
                let outcome = step.outcome
                try SQLiteStore.store(db, outcome, workspaceId: state.id, claim: idempotency, nowMillis: nowMillis)
                body = { outcome }
            }
            hot.commitJob(step.effects, system: step.system)
            return body
        }
        return body()
    }

    public func extendHold(id: String, ttlSeconds: Int64, canAccess: @escaping @Sendable (String) -> Bool) async throws -> HoldRecord {
        let clock = self.clock
        let hot = writer.hot
        return try await write(usesHotState: true) { db in
            let nowMillis = clock.nowMillis()
            guard let hold = try hot.hold(db, id: id), canAccess(hold.workspaceId) else { throw TributeError.holdNotFound(id) }
            let (extended, state) = try Kernel.extendHold(hold, ttlSeconds: ttlSeconds, state: try hot.workspace(db, id: hold.workspaceId), nowMillis: nowMillis)
            hot.updateHold(extended, atMillis: nowMillis)
            hot.updateWorkspace(state)
            return extended
        }
    }

    public func hold(id: String, canAccess: @escaping @Sendable (String) -> Bool) async throws -> HoldRecord {
        let nowMillis = clock.nowMillis()
        let stored = try await pool.read { db in try db.one(HoldRows.one(id: id), HoldRows.record) }
        guard let stored, canAccess(stored.workspaceId) else { throw TributeError.holdNotFound(id) }
        return stored.seen(atMillis: nowMillis)
    }

    public func holds(workspaceId: String, status: HoldRecord.Status?, limit: Int, cursor: String?) async throws -> Page<HoldRecord> {
        let nowMillis = clock.nowMillis()
        let query = HoldRows.page(workspaceId: workspaceId, status: status, nowMillis: nowMillis, beforeSeq: try listCursor(cursor) ?? Int64.max, limit: limit)
        let found = try await pool.read { db in
            try SQLiteStore.requireWorkspace(db, workspaceId)
            return page(try db.all(query, HoldRows.numbered), limit: limit)
        }
        return Page(items: found.items.map { $0.seen(atMillis: nowMillis) }, nextCursor: found.nextCursor)
    }

    public func expireHolds(limit: Int) async throws -> Int {
        let nowMillis = clock.nowMillis()
        // A read first: an idle server writes nothing.
        let due = try await pool.read { db in
            try db.all(HoldRows.dueWorkspaces(nowMillis: nowMillis, limit: limit)) { (columns: inout SQLiteColumns) in try columns.text() }
        }
        guard !due.isEmpty else { return 0 }
        // One job per workspace, queued together so that they share a batch.
        return try await withThrowingTaskGroup(of: Int.self) { group in
            for workspaceId in due { group.addTask { try await self.expireHolds(workspaceId: workspaceId) } }
            var expired = 0
            for try await count in group { expired += count }
            return expired
        }
    }

    /// The sweeper's step for one workspace (`Kernel.expireHolds`), as a hot job.
    /// - Returns: how many holds expired.
    private func expireHolds(workspaceId: String) async throws -> Int {
        let clock = self.clock
        let hot = writer.hot
        let ids = Kernel.Ids.make()
        return try await write(usesHotState: true) { db in
            let nowMillis = clock.nowMillis()
            let state = try hot.workspace(db, id: workspaceId)
            let inputs = try KernelInputs(db, hot: hot, state: state, nowMillis: nowMillis, sweeping: true)
            guard let (effects, system) = try Kernel.expireHolds(
                state: state, grants: inputs.grants, holds: inputs.holds, system: try hot.systemBalances(db), ids: ids, nowMillis: nowMillis) else { return 0 }
            hot.commitJob(effects, system: system)
            return effects.holds.count
        }
    }
}
