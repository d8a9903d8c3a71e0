import GRDB
import TributeCore

extension SQLiteStore {
    public func authorize(_ request: AuthorizeRequest, idempotency: IdempotencyClaim?) async throws -> AuthorizeOutcome {
        let clock = self.clock
        let hot = writer.hot
        return try await write(usesHotState: true) { db in
            try SQLiteStore.authorize(db, hot: hot, request, idempotency: idempotency, nowMillis: clock.nowMillis())
        }
    }

    /// The whole authorize-and-debit step inside one job of the writer's batch. It reads
    /// and changes a copy of the workspace's cached state and hands it back to `hot` only
    /// when every write of the job has succeeded.
    static func authorize(_ db: Database, hot: HotState, _ request: AuthorizeRequest, idempotency: IdempotencyClaim?, nowMillis: Int64) throws -> AuthorizeOutcome {
        if let idempotency, let replay = try replay(db, workspaceId: request.workspaceId, claim: idempotency) { return replay }
        var state = try hot.workspace(db, id: request.workspaceId)
        let (baseCost, costVersion) = try hot.cost(db, actionType: request.actionType)
        try SQLiteLedger.rollPeriodIfNeeded(db, &state, nowMillis: nowMillis)
        try SQLiteLedger.expireGrantsIfNeeded(db, &state, nowMillis: nowMillis)
        let budgets = try loadBudgets(db, workspaceId: state.id, scopes: request.budgetScopes, periodStart: state.period.start)

        let outcome: PricingOutcome
        do {
            outcome = try Pricing.price(PricingInput(
                baseCost: baseCost, costMultiplier: request.costMultiplier, allowanceLeft: state.allowance,
                overagePolicy: state.plan.overagePolicy, overageRate: state.plan.overageRate,
                creditsAvailable: state.wallet, budgets: budgets, suspended: state.status == .suspended))
        } catch {
            throw TributeError.invalidMultiplier("The cost of this action is out of range")
        }

        let decisionId = Identifier.make("dec")
        var transactionId: String?
        // A free action (base cost 0) is approved and recorded, but moves nothing, so it
        // writes no ledger transaction and its answer carries no transactionId.
        let movesValue = !outcome.fromAllowance.isZero || !outcome.creditsDebited.isZero
        if outcome.approved && movesValue {
            let id = Identifier.make("txn")
            transactionId = id
            let transaction = try LedgerTransaction(kind: .debit, postings: [
                Posting(account: .allowance(state.id), amount: -outcome.fromAllowance),
                Posting(account: .system(.usage), amount: outcome.fromAllowance),
                Posting(account: .wallet(state.id), amount: -outcome.creditsDebited),
                Posting(account: .system(.revenue), amount: outcome.creditsDebited),
            ])
            try SQLiteLedger.append(db, transaction, id: id, workspaceId: state.id, decisionId: decisionId, atMillis: nowMillis, movingBalances: false)
            state.allowance -= outcome.fromAllowance
            state.wallet -= outcome.creditsDebited
            if !outcome.creditsDebited.isZero,
               try SQLiteLedger.spendGrants(db, workspaceId: state.id, amount: outcome.creditsDebited) {
                _ = try SQLiteLedger.refreshNextExpiry(db, workspaceId: state.id)
            }
            if !outcome.fromAllowance.isZero {
                try db.cachedStatement(sql: "UPDATE workspaces SET period_used_micros = period_used_micros + ? WHERE id = ?")
                    .execute(arguments: [outcome.fromAllowance.micros, state.id])
                state.periodUsed += outcome.fromAllowance
            }
        }
        if outcome.approved {
            let useBudget = try db.cachedStatement(sql: "UPDATE budgets SET used_micros = ?, period_start = ? WHERE workspace_id = ? AND scope = ?")
            for budget in budgets {
                let used = budget.used + (budget.unit == .actions ? outcome.actionsCharged : outcome.creditsDebited)
                try useBudget.execute(arguments: [used.micros, state.period.start, state.id, budget.scope.description])
            }
        }

        let record = DecisionRecord(
            id: decisionId, workspaceId: state.id, createdAtMillis: nowMillis, actionType: request.actionType, reason: outcome.reason,
            actionsCharged: outcome.actionsCharged, fromAllowance: outcome.fromAllowance, creditsDebited: outcome.creditsDebited,
            userId: request.userId, agentId: request.agentId, runId: request.runId, costVersion: costVersion,
            context: request.context, transactionId: transactionId)
        let hash = try SQLiteLedger.insertDecision(db, record, previous: try hot.decisionHash(db))

        var body: [String: JSON] = [
            "success": .bool(outcome.approved), "reason": .string(outcome.reason.rawValue), "message": .string(outcome.reason.message),
            "debitAmount": .amount(outcome.creditsDebited), "actionsCharged": .amount(outcome.actionsCharged),
            "fromAllowance": .amount(outcome.fromAllowance), "remainingBalance": .amount(state.wallet),
            "remainingAllowance": .amount(state.allowance), "decisionId": .string(decisionId), "costVersion": .int(costVersion),
        ]
        if let transactionId { body["transactionId"] = .string(transactionId) }
        let text = JSON.object(body).serialized
        if let idempotency {
            try db.cachedStatement(sql: "INSERT INTO idempotency_keys (workspace_id, key, request_hash, response_body, approved, created_at) VALUES (?, ?, ?, ?, ?, ?)")
                .execute(arguments: [state.id, idempotency.key, idempotency.requestHash, text, outcome.approved, nowMillis])
        }
        let moved = transactionId != nil
        hot.commitJob(
            workspace: state, balancesChanged: true,
            system: [(.usage, moved ? outcome.fromAllowance : .zero), (.revenue, moved ? outcome.creditsDebited : .zero)],
            decisionHash: hash)
        return AuthorizeOutcome(body: text, replayed: false, approved: outcome.approved)
    }

    /// The stored answer for a key already used with the same request.
    /// - Throws: `idempotencyKeyReused` when the key came with a different request.
    static func replay(_ db: Database, workspaceId: String, claim: IdempotencyClaim) throws -> AuthorizeOutcome? {
        guard let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT request_hash, response_body, approved FROM idempotency_keys WHERE workspace_id = ? AND key = ?"),
            arguments: [workspaceId, claim.key]) else { return nil }
        guard (row[0] as String) == claim.requestHash else { throw TributeError.idempotencyKeyReused }
        return AuthorizeOutcome(body: row[1], replayed: true, approved: row[2])
    }

    /// The budgets of the given scopes, with monthly use started afresh in a new period.
    static func loadBudgets(_ db: Database, workspaceId: String, scopes: [BudgetScope], periodStart: Int64) throws -> [Budget] {
        guard !scopes.isEmpty else { return [] }
        let statement = try db.cachedStatement(sql: "SELECT limit_micros, unit, period, used_micros, period_start FROM budgets WHERE workspace_id = ? AND scope = ?")
        var budgets: [Budget] = []
        for scope in scopes {
            guard let row = try Row.fetchOne(statement, arguments: [workspaceId, scope.description]) else { continue }
            let period = BudgetPeriod(rawValue: row[2]) ?? .lifetime
            let stale = period == .month && (row[4] as Int64) != periodStart
            budgets.append(Budget(
                scope: scope, limit: Amount(micros: row[0]), unit: BudgetUnit(rawValue: row[1]) ?? .credits, period: period,
                used: stale ? .zero : Amount(micros: row[3])))
        }
        return budgets
    }
}
