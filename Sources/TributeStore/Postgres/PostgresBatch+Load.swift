import Logging
import PostgresNIO
import TributeCore

extension PostgresBatch {
    /// A locked workspace as the batch's jobs leave it.
    struct Loaded {
        var state: WorkspaceState
        var grants = OpenGrants([])
        /// The open holds read for settling, in expiry order, as the batch's jobs leave
        /// them; `nil` when none was due.
        var holds: [HoldRecord]?
        /// Whether `holds` stopped at `HoldRows.settleBound`: more may have run out.
        var holdsBounded = false
        /// The earliest expiry of a listed hold a commit or release closed before it ran
        /// out: open holds the list does not show expire no sooner (see `keep`).
        var expiryFloor: Int64?
    }

    /// Everything the batch read under its locks, as its jobs so far left it.
    struct State {
        var loaded: [String: Loaded] = [:]
        var costs: [String: ActionCost] = [:]
        var budgets: [KeyRef: StoredBudget] = [:]
        /// Read without a lock (batches add to their own shards): concurrent batches may
        /// take a total a little past the bound, which `settling` lets shrink and nets back.
        var system = SystemBalances()
        /// The holds the batch commits or releases, by id.
        var steps: [String: HoldRecord] = [:]
    }

    /// 3 and 4: the locks, the holds, then balances, grants, budgets, plans and costs.
    static func load(
        _ jobs: [PostgresBatcher.Job], workspaceOf: [String?], results: Results, steps: Steps, holdCache: PostgresHoldCache,
        _ connection: PostgresConnection, nowMillis: Int64, logger: Logger
    ) async throws -> State {
        var state = State()
        var workspaceIds = Set<String>(), actionTypes = Set<String>(), scopes = Set<String>(), stepIds = Set<String>()
        for (index, job) in jobs.enumerated() where results[index] == nil {
            guard let workspaceId = workspaceOf[index] else { continue }
            workspaceIds.insert(workspaceId)
            if let request = job.work.request {
                actionTypes.insert(request.actionType)
                for scope in request.budgetScopes { scopes.insert(scope.description) }
            }
            if let step = job.work.step { stepIds.insert(step.holdId) }
        }
        guard !workspaceIds.isEmpty else { return state }
        let ids = workspaceIds.sorted()
        // The locks first: every round trip from here to the commit is time that every other
        // batch of these workspaces waits. Their plans come with the balances below; until
        // then each workspace carries a stand-in that names its plan.
        var planIds = Set<String>()
        for try await row in try await connection.query(
            "SELECT \(unescaped: PostgresRows.workspaceColumns) FROM workspaces WHERE id = ANY(\(ids)) ORDER BY id FOR NO KEY UPDATE", logger: logger
        ) {
            let workspace = try PostgresRows.workspace(row) { planId in
                planIds.insert(planId)
                return Plan(id: planId, name: "", monthlyAllowance: .zero, overagePolicy: .block, overageRate: .zero, priceCents: 0)
            }
            state.loaded[workspace.id] = Loaded(state: workspace)
        }
        state.steps = steps.holds.filter { stepIds.contains($0.key) }
        let due = try await loadDueHolds(&state, connection, nowMillis: nowMillis)
        let stepNeeds = needs(of: state.steps.values)
        scopes.formUnion(due.scopes)
        scopes.formUnion(stepNeeds.scopes)
        let stepsRead = state.steps.keys.sorted()
        let stepVersions = stepsRead.map { steps.versions[$0] ?? "" }
        var changed: [String] = []

        // 4. Their balances, open grants and budgets, in one round trip after the locks (so
        //    that they are current): everything under the locks is time every other batch
        //    of these workspaces waits. Grants the holds drew from come even used up
        //    (credits go back to them), and budgets with their creation time (a hold gives
        //    use back only to a budget that existed when it was made). The holds read before
        //    the locks whose version has moved since are named, to be read again.
        //    The workspaces' plans and the calls' costs come along: the catalog as it
        //    stands once the locks are held.
        var systemTotals: [AccountKind: Int64] = [:]
        var grantLists: [String: [GrantBalance]] = [:]
        var plans: [String: Plan] = [:]
        for try await (tag, workspaceId, name, first, second, third, unit, period, created) in try await connection.query("""
            SELECT 'a', workspace_id, kind, balance_micros, NULL::bigint, NULL::bigint, NULL::text, NULL::text, NULL::bigint
            FROM accounts WHERE workspace_id = ANY(\(ids))
            UNION ALL
            SELECT 'p', COALESCE(rollover, ''), id, monthly_allowance_micros, overage_rate_micros, price_cents, overage_policy, name, NULL
            FROM plans WHERE id = ANY(\(planIds.sorted()))
            UNION ALL
            SELECT 'c', '', action_type, base_cost_micros, version, NULL, token_rates, NULL, NULL
            FROM action_types WHERE action_type = ANY(\(actionTypes.sorted()))
            UNION ALL
            SELECT 'g', workspace_id, id, remaining_micros, expires_at, created_at, \(unescaped: Self.grantTerms), NULL, COALESCE(effective_at, created_at)
            FROM credit_grants WHERE workspace_id = ANY(\(ids)) AND remaining_micros > 0
            UNION ALL
            SELECT 'g', workspace_id, id, remaining_micros, expires_at, created_at, \(unescaped: Self.grantTerms), NULL, COALESCE(effective_at, created_at)
            FROM credit_grants WHERE id = ANY(\(due.drawnGrantIds + stepNeeds.drawnGrantIds)) AND workspace_id = ANY(\(ids)) AND remaining_micros = 0
            UNION ALL
            SELECT 'h', '', v.id, 0, NULL, NULL, NULL, NULL, NULL
            FROM unnest(\(stepsRead)::text[], \(stepVersions)::text[]) AS v(id, version) LEFT JOIN holds h ON h.id = v.id
            WHERE h.id IS NULL OR h.xmin::text <> v.version
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
                if var workspace = state.loaded[workspaceId] {
                    PostgresRows.setBalance(&workspace.state, kind: name, micros: first)
                    state.loaded[workspaceId] = workspace
                }
            case "s":
                // Clamped to Int64 by the query; only a database written around Tribute
                // gets near that.
                guard let kind = AccountKind(rawValue: String(name.dropFirst("system:".count))) else {
                    throw StoreFault.unknownValue("system_balance_shards.account_id", name)
                }
                systemTotals[kind] = first
            case "g":
                grantLists[workspaceId, default: []].append(try Self.grant(id: name, remaining: first, expiresAt: second, terms: unit, effectiveAt: created))
            case "h":
                changed.append(name)
            case "p":
                // A plan's row carries its rollover terms where other rows name their workspace.
                plans[name] = try PostgresRows.plan(
                    id: name, name: period ?? "", allowanceMicros: first, policy: unit ?? "", rateMicros: second ?? 0, priceCents: third ?? 0,
                    rollover: workspaceId)
            case "c":
                state.costs[name] = ActionCost(actionType: name, baseCost: Amount(micros: first), tokenRates: try ActionCostRows.tokenRates(unit), version: second ?? 0,
                                               updatedAt: 0)
            default:
                var budget = try BudgetRows.stored(
                    scope: name, limitMicros: first, unit: unit ?? "", period: period ?? "", usedMicros: second ?? 0, periodStart: third ?? 0)
                budget.createdAtMillis = created
                state.budgets[KeyRef(workspaceId: workspaceId, key: name)] = budget
            }
        }
        for (id, list) in grantLists { state.loaded[id]?.grants = OpenGrants(list) }
        for (id, workspace) in state.loaded {
            let planId = workspace.state.plan.id
            guard let plan = plans[planId] else { throw TributeError.planNotFound(planId) }
            state.loaded[id]?.state.plan = plan
        }
        holdCache.forget(changed)
        try await refresh(changed, into: &state, connection)
        state.system = SystemBalances(micros: systemTotals)
        return state
    }
}

extension PostgresBatch.State {
    /// 5. One job through the kernel against the state the jobs before it left, which it
    ///    then leaves as the kernel says.
    mutating func run(_ job: PostgresBatcher.Job, workspaceId: String, nowMillis: Int64) throws -> (LedgerEffects, AuthorizeOutcome) {
        guard var workspace = loaded[workspaceId] else { throw TributeError.workspaceNotFound(workspaceId) }
        let grants = workspace.grants
        let effects: LedgerEffects, outcome: AuthorizeOutcome
        switch job.work {
        case .authorize(let request):
            guard let cost = costs[request.actionType] else { throw TributeError.unknownActionType(request.actionType) }
            let expiring = PostgresBatch.expiring(workspace, budgets: budgets)
            let authorized = try Kernel.authorize(
                request, state: workspace.state, cost: cost, budgets: stored(request), grants: grants, holds: expiring, system: system,
                ids: job.ids, nowMillis: nowMillis)
            (effects, system, outcome) = (authorized.effects, authorized.system, AuthorizeOutcome(authorized.answer))
        case .hold(let request, let ttlSeconds, let holdId):
            guard let cost = costs[request.actionType] else { throw TributeError.unknownActionType(request.actionType) }
            let expiring = PostgresBatch.expiring(workspace, budgets: budgets)
            let held = try Kernel.hold(
                request, ttlSeconds: ttlSeconds, holdId: holdId, state: workspace.state, cost: cost, budgets: stored(request), grants: grants,
                holds: expiring, system: system, ids: job.ids, nowMillis: nowMillis)
            (effects, system, outcome) = (held.effects, held.system, held.outcome)
        case .commit(let commit, _):
            guard let hold = steps[commit.holdId] else { throw TributeError.holdNotFound(commit.holdId) }
            let step = try Kernel.commitHold(
                hold, actual: commit.actual, final: commit.final, state: workspace.state, grants: grants, budgets: PostgresBatch.budgets(of: hold, in: budgets),
                system: system, ids: job.ids, nowMillis: nowMillis)
            (effects, system, outcome) = (step.effects, step.system, step.outcome)
        case .release(let holdId, _):
            guard let hold = steps[holdId] else { throw TributeError.holdNotFound(holdId) }
            let step = try Kernel.releaseHold(
                hold, state: workspace.state, grants: grants, budgets: PostgresBatch.budgets(of: hold, in: budgets), system: system, ids: job.ids,
                nowMillis: nowMillis)
            (effects, system, outcome) = (step.effects, step.system, step.outcome)
        }
        workspace.state = effects.workspace
        if let changed = effects.grants { workspace.grants = changed }
        PostgresBatch.keep(effects.holds, in: &workspace, nowMillis: nowMillis)
        loaded[workspaceId] = workspace
        for hold in effects.holds where steps[hold.id] != nil { steps[hold.id] = hold }
        for budget in effects.budgets {
            let key = KeyRef(workspaceId: workspaceId, key: budget.budget.scope.description)
            var changed = budget
            // The kernel's new use of a budget does not carry when it was made.
            if changed.createdAtMillis == nil { changed.createdAtMillis = budgets[key]?.createdAtMillis }
            budgets[key] = changed
        }
        return (effects, outcome)
    }

    /// The stored budgets of the call's scopes that exist.
    private func stored(_ request: AuthorizeRequest) -> [StoredBudget] {
        request.budgetScopes.compactMap { budgets[KeyRef(workspaceId: request.workspaceId, key: $0.description)] }
    }
}

extension PostgresBatch {
    /// A grant's place in the draw order, as one text column of the batch's read (whose
    /// other columns are taken): `priority:cost_basis_cents:amount_micros`.
    static let grantTerms = "priority::text || ':' || cost_basis_cents::text || ':' || amount_micros::text"

    /// A grant from its row of the batch's read (`grantTerms`).
    /// - Throws: `StoreFault.unknownValue` for terms Tribute never writes.
    static func grant(id: String, remaining: Int64, expiresAt: Int64?, terms: String?, effectiveAt: Int64?) throws -> GrantBalance {
        let parts = (terms ?? "").split(separator: ":").compactMap { Int64($0) }
        guard parts.count == 3, let effectiveAt else { throw StoreFault.unknownValue("credit_grants terms", terms ?? "") }
        return GrantBalance(id: id, remaining: Amount(micros: remaining), expiresAt: expiresAt, priority: Int(clamping: parts[0]), costBasisCents: parts[1],
                            amount: Amount(micros: parts[2]), effectiveAtMillis: effectiveAt)
    }
}
