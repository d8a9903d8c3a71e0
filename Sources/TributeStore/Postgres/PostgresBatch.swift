import Logging
import PostgresNIO
import TributeCore

/// One batch of authorize calls and holds, applied in one PostgreSQL transaction:
///
/// 1. claim the idempotency keys (unique primary key; a key another transaction holds is
///    waited for, then replayed or refused),
/// 2. read the plans and costs, then lock the batch's workspaces in id order (`FOR NO KEY
///    UPDATE`: no deadlock between batches, and no other instance can change these ledgers
///    until the commit); for the workspaces whose soonest hold expiry has passed, read the
///    holds to settle (one more round trip, for those batches only),
/// 3. read their balances, grants and budgets in one query,
/// 4. run every call through `Kernel.authorize` (or `Kernel.hold`) in memory, in order,
/// 5. write every row and balance change in one statement, and commit.
///
/// A call that fails (an unknown workspace, say) fails alone; a batch the database refuses
/// is retried whole when PostgreSQL broke a deadlock, and otherwise fails every caller.
struct PostgresBatch {
    let database: PostgresDatabase
    let jobs: [PostgresBatcher.Job]

    func run(nowMillis: Int64) async {
        let jobs = self.jobs
        do {
            let results = try await database.transaction { connection in
                try await PostgresBatch.apply(jobs, connection, nowMillis: nowMillis, logger: Logger(label: "tribute.batch"))
            }
            for (job, result) in zip(jobs, results) { job.continuation.resume(with: result) }
        } catch {
            database.logger.error("authorize batch failed", metadata: ["jobs": "\(jobs.count)", "error": "\(describe(error))"])
            for job in jobs { job.continuation.resume(throwing: error) }
        }
    }

    struct Loaded {
        var state: WorkspaceState
        var grants = OpenGrants([])
        /// The open holds read for settling, in expiry order, as the batch's calls leave
        /// them; `nil` when none was due.
        var holds: [HoldRecord]?
        /// Whether `holds` stopped at `HoldRows.settleBound`: more may have run out.
        var holdsBounded = false
    }

    static func apply(_ jobs: [PostgresBatcher.Job], _ connection: PostgresConnection, nowMillis: Int64, logger: Logger) async throws -> [Result<AuthorizeOutcome, any Error>] {
        var results = [Result<AuthorizeOutcome, any Error>?](repeating: nil, count: jobs.count)

        // 1. Idempotency keys: the first call of the batch with a key claims it; later ones
        //    with the same key replay its answer. Keys are claimed in sorted order.
        var firstWithKey: [KeyRef: Int] = [:]
        for (index, job) in jobs.enumerated() {
            guard let claim = job.claim else { continue }
            let key = KeyRef(workspaceId: job.request.workspaceId, key: claim.key)
            if firstWithKey[key] == nil { firstWithKey[key] = index }
        }
        var claimed = Set<KeyRef>()
        if !firstWithKey.isEmpty {
            let keys = firstWithKey.keys.sorted { ($0.workspaceId, $0.key) < ($1.workspaceId, $1.key) }
            let hashes = keys.map { jobs[firstWithKey[$0]!].claim!.requestHash }
            let rows = try await connection.query("""
                INSERT INTO idempotency_keys (workspace_id, key, request_hash, created_at)
                SELECT w, k, h, \(nowMillis) FROM unnest(\(keys.map(\.workspaceId))::text[], \(keys.map(\.key))::text[], \(hashes)::text[]) AS c(w, k, h)
                ORDER BY w, k
                ON CONFLICT DO NOTHING RETURNING workspace_id, key
                """, logger: logger)
            for try await (workspaceId, key) in rows.decode((String, String).self) { claimed.insert(KeyRef(workspaceId: workspaceId, key: key)) }
            let taken = keys.filter { !claimed.contains($0) }
            if !taken.isEmpty {
                let existing = try await connection.query("""
                    SELECT k.workspace_id, k.key, k.request_hash, k.response_body, k.approved FROM idempotency_keys k
                    JOIN unnest(\(taken.map(\.workspaceId))::text[], \(taken.map(\.key))::text[]) AS c(w, k) ON k.workspace_id = c.w AND k.key = c.k
                    """, logger: logger)
                for try await (workspaceId, key, hash, body, approved) in existing.decode((String, String, String, String?, Bool?).self) {
                    let index = firstWithKey[KeyRef(workspaceId: workspaceId, key: key)]!
                    if hash != jobs[index].claim!.requestHash {
                        results[index] = .failure(TributeError.idempotencyKeyReused)
                    } else if let body, let approved {
                        results[index] = .success(AuthorizeOutcome(body: body, replayed: true, approved: approved))
                    }
                }
            }
        }

        // 2. Lock the workspaces the remaining calls touch.
        var workspaceIds = Set<String>()
        var actionTypes = Set<String>()
        var scopes = Set<String>()
        for (index, job) in jobs.enumerated() where results[index] == nil {
            workspaceIds.insert(job.request.workspaceId)
            actionTypes.insert(job.request.actionType)
            for scope in job.request.budgetScopes { scopes.insert(scope.description) }
        }
        var loaded: [String: Loaded] = [:]
        var costs: [String: (baseCost: Amount, version: Int64)] = [:]
        var budgets: [KeyRef: StoredBudget] = [:]
        var systemTotals: [AccountKind: Int64] = [:]
        var grantLists: [String: [GrantBalance]] = [:]
        if !workspaceIds.isEmpty {
            let ids = workspaceIds.sorted()
            // The catalog first, outside the locks: while this batch reads it, the previous
            // batch of the same workspaces may still be committing.
            let plans = try await PostgresRows.plans(connection, logger: logger)
            for try await (actionType, baseCost, version) in try await connection.query(
                "SELECT action_type, base_cost_micros, version FROM action_types WHERE action_type = ANY(\(actionTypes.sorted()))", logger: logger
            ).decode((String, Int64, Int64).self) {
                costs[actionType] = (Amount(micros: baseCost), version)
            }
            let rows = try await connection.query(
                "SELECT \(unescaped: PostgresRows.workspaceColumns) FROM workspaces WHERE id = ANY(\(ids)) ORDER BY id FOR NO KEY UPDATE",
                logger: logger)
            for try await row in rows {
                let state = try PostgresRows.workspace(row, plans: plans)
                loaded[state.id] = Loaded(state: state)
            }
            let holding = try await PostgresBatch.loadDueHolds(&loaded, connection, nowMillis: nowMillis)
            for scope in holding.scopes { scopes.insert(scope) }
            // 3. Their balances, open grants and budgets, in one round trip after the locks
            //    (so that they are current): everything under the locks is time every other
            //    batch of these workspaces waits.
            //    Grants a due hold drew from come even used up (credits go back to them), and
            //    budgets with their creation time (a hold gives use back only to a budget
            //    that existed when it was made).
            for try await (tag, workspaceId, name, first, second, third, unit, period, created) in try await connection.query("""
                SELECT 'a', workspace_id, kind, balance_micros, NULL::bigint, NULL::bigint, NULL::text, NULL::text, NULL::bigint
                FROM accounts WHERE workspace_id = ANY(\(ids))
                UNION ALL
                SELECT 'g', workspace_id, id, remaining_micros, expires_at, created_at, NULL, NULL, NULL
                FROM credit_grants WHERE workspace_id = ANY(\(ids)) AND remaining_micros > 0
                UNION ALL
                SELECT 'g', workspace_id, id, remaining_micros, expires_at, created_at, NULL, NULL, NULL
                FROM credit_grants WHERE id = ANY(\(holding.drawnGrantIds)) AND workspace_id = ANY(\(ids)) AND remaining_micros = 0
                UNION ALL
                SELECT 'b', workspace_id, scope, limit_micros, used_micros, period_start, unit, period, created_at
                FROM budgets WHERE workspace_id = ANY(\(ids)) AND scope = ANY(\(scopes.sorted()))
                UNION ALL
                SELECT 's', '', account_id, LEAST(GREATEST(SUM(balance_micros), \(-Int64.max)), \(Int64.max))::bigint, NULL, NULL, NULL, NULL, NULL
                FROM system_balance_shards GROUP BY account_id
                ORDER BY 1, 6, 3
                """, logger: logger
            ).decode((String, String, String, Int64, Int64?, Int64?, String?, String?, Int64?).self) {
                switch tag {
                case "a":
                    if var workspace = loaded[workspaceId] {
                        PostgresRows.setBalance(&workspace.state, kind: name, micros: first)
                        loaded[workspaceId] = workspace
                    }
                case "s":
                    // Clamped to Int64 by the query; only a database written around Tribute
                    // gets near that.
                    guard let kind = AccountKind(rawValue: String(name.dropFirst("system:".count))) else {
                        throw StoreFault.unknownValue("system_balance_shards.account_id", name)
                    }
                    systemTotals[kind] = first
                case "g":
                    grantLists[workspaceId, default: []].append(GrantBalance(id: name, remaining: Amount(micros: first), expiresAt: second))
                default:
                    var budget = try BudgetRows.stored(
                        scope: name, limitMicros: first, unit: unit ?? "", period: period ?? "", usedMicros: second ?? 0, periodStart: third ?? 0)
                    budget.createdAtMillis = created
                    budgets[KeyRef(workspaceId: workspaceId, key: name)] = budget
                }
            }
        }

        for (id, list) in grantLists { loaded[id]?.grants = OpenGrants(list) }

        // 4. Every call, in order, against the state the previous ones left.
        var writes = PostgresBatchWrites(nowMillis: nowMillis)
        // Read without a lock (batches add to their own shards): concurrent batches may take
        // a total a little past the bound, which `settling` lets shrink and nets back.
        var system = SystemBalances(micros: systemTotals)
        var answers: [KeyRef: AuthorizeOutcome] = [:]
        for (index, job) in jobs.enumerated() where results[index] == nil {
            let request = job.request
            var keyRef: KeyRef?
            if let claim = job.claim {
                let key = KeyRef(workspaceId: request.workspaceId, key: claim.key)
                keyRef = key
                if firstWithKey[key] != index {
                    // A repeat inside this batch: the first call's answer, or a conflict.
                    let first = jobs[firstWithKey[key]!]
                    if first.claim!.requestHash != claim.requestHash {
                        results[index] = .failure(TributeError.idempotencyKeyReused)
                    } else if let answer = answers[key] {
                        results[index] = .success(AuthorizeOutcome(body: answer.body, replayed: true, approved: answer.approved))
                    } else {
                        results[index] = results[firstWithKey[key]!] ?? .failure(TributeError.idempotencyKeyReused)
                    }
                    continue
                }
            }
            do {
                guard var workspace = loaded[request.workspaceId] else { throw TributeError.workspaceNotFound(request.workspaceId) }
                guard let cost = costs[request.actionType] else { throw TributeError.unknownActionType(request.actionType) }
                let stored = request.budgetScopes.compactMap { budgets[KeyRef(workspaceId: request.workspaceId, key: $0.description)] }
                let grants = workspace.grants
                let expiring = PostgresBatch.expiring(workspace, budgets: budgets)
                let effects: LedgerEffects
                let outcome: AuthorizeOutcome
                if let order = job.hold {
                    let held = try Kernel.hold(
                        request, ttlSeconds: order.ttlSeconds, holdId: order.holdId, state: workspace.state, cost: cost, budgets: stored,
                        grants: { grants }, holds: { expiring }, system: system, ids: job.ids, nowMillis: nowMillis)
                    (effects, system, outcome) = (held.effects, held.system, held.outcome)
                } else {
                    let authorized = try Kernel.authorize(
                        request, state: workspace.state, cost: cost, budgets: stored, grants: { grants }, holds: { expiring }, system: system,
                        ids: job.ids, nowMillis: nowMillis)
                    (effects, system, outcome) = (authorized.effects, authorized.system, AuthorizeOutcome(authorized.answer))
                }
                writes.add(effects)
                workspace.state = effects.workspace
                if let changed = effects.grants { workspace.grants = changed }
                PostgresBatch.keep(effects.holds, in: &workspace, nowMillis: nowMillis)
                loaded[request.workspaceId] = workspace
                for budget in effects.budgets {
                    let key = KeyRef(workspaceId: request.workspaceId, key: budget.budget.scope.description)
                    var changed = budget
                    // The kernel's new use of a budget does not carry when it was made.
                    if changed.createdAtMillis == nil { changed.createdAtMillis = budgets[key]?.createdAtMillis }
                    budgets[key] = changed
                }
                if let keyRef {
                    answers[keyRef] = outcome
                    writes.answerKey(keyRef, outcome)
                }
                results[index] = .success(outcome)
            } catch {
                if let keyRef, claimed.contains(keyRef) { writes.releaseKey(keyRef) }
                results[index] = .failure(error)
            }
        }
        for workspace in loaded.values where writes.changedWorkspaces.contains(workspace.state.id) {
            writes.finish(workspace.state, grants: workspace.grants)
        }
        for (key, stored) in budgets where writes.changedBudgets.contains(key) { writes.budget(key, stored) }

        // 5. One statement for every write of the batch.
        try await writes.execute(connection, logger: logger)
        return results.map { $0 ?? .failure(TributeError.idempotencyKeyReused) }
    }
}

/// A workspace and an idempotency key or budget scope in it.
struct KeyRef: Hashable, Sendable {
    var workspaceId: String
    var key: String
}

