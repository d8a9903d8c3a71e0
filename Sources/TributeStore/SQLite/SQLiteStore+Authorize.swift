import GRDB
import TributeCore

extension SQLiteStore {
    public func authorize(_ request: AuthorizeRequest, idempotency: IdempotencyClaim?) async throws -> AuthorizeOutcome {
        let clock = self.clock
        let hot = writer.hot
        // Made here, on the caller's thread: the writer's time is the service's throughput.
        let ids = AuthorizeIds(decision: Identifier.make("dec"), transaction: Identifier.make("txn"))
        let result = try await write(usesHotState: true) { db in
            try SQLiteStore.authorize(db, hot: hot, request, idempotency: idempotency, ids: ids, nowMillis: clock.nowMillis())
        }
        switch result {
        case .answered(let answer): return AuthorizeOutcome(answer)
        case .stored(let outcome): return outcome
        }
    }

    /// The ids a decision and its debit will carry, if it makes one.
    struct AuthorizeIds: Sendable {
        var decision: String
        var transaction: String
    }

    /// What an authorize job hands back: a fresh answer, encoded by the caller off the
    /// writer's thread, or a body already encoded because an idempotency key stores it.
    enum AuthorizeResult: Sendable {
        case answered(AuthorizeAnswer)
        case stored(AuthorizeOutcome)
    }

    /// The whole authorize-and-debit step inside one job of the writer's batch. It works
    /// on copies of the cached state and hands them back to `hot` only when the job has
    /// succeeded; its rows are written by `hot` at the end of the batch. Its one SQL write
    /// of its own, the idempotency key, comes last, so a failed job leaves nothing behind.
    static func authorize(_ db: Database, hot: HotState, _ request: AuthorizeRequest, idempotency: IdempotencyClaim?, ids: AuthorizeIds, nowMillis: Int64) throws -> AuthorizeResult {
        if let idempotency, let replay = try replay(db, workspaceId: request.workspaceId, claim: idempotency) { return .stored(replay) }
        var state = try hot.workspace(db, id: request.workspaceId)
        let (baseCost, costVersion) = try hot.cost(db, actionType: request.actionType)
        var transactions: [PendingTransaction] = []
        var grants: (list: [GrantBalance], touched: Set<String>)?

        if let roll = try SQLiteLedger.rollPeriod(&state, nowMillis: nowMillis), let roll {
            transactions.append(PendingTransaction(roll, id: Identifier.make("txn"), workspaceId: state.id, decisionId: nil, atMillis: nowMillis))
        }
        if let next = state.nextExpiryAtMillis, next <= nowMillis {
            var list = try hot.grants(db, workspaceId: state.id)
            var expired = Amount.zero
            var touched: Set<String> = []
            for index in list.indices where !list[index].remaining.isZero && (list[index].expiresAt ?? .max) <= nowMillis {
                expired += list[index].remaining
                touched.insert(list[index].id)
                list[index].remaining = .zero
            }
            if !expired.isZero {
                let expiry = try LedgerTransaction.transfer(.grantExpiry, expired, from: .wallet(state.id), to: .system(.expired))
                transactions.append(PendingTransaction(expiry, id: Identifier.make("txn"), workspaceId: state.id, decisionId: nil, atMillis: nowMillis))
                state.wallet -= expired
            }
            state.nextExpiryAtMillis = SQLiteLedger.nextExpiry(list)
            grants = (list, touched)
        }
        let budgets = try hot.budgets(db, workspaceId: state.id, scopes: request.budgetScopes).map { $0.current(periodStart: state.period.start) }

        let outcome: PricingOutcome
        do {
            outcome = try Pricing.price(PricingInput(
                baseCost: baseCost, costMultiplier: request.costMultiplier, allowanceLeft: state.allowance,
                overagePolicy: state.plan.overagePolicy, overageRate: state.plan.overageRate,
                creditsAvailable: state.wallet, budgets: budgets, suspended: state.status == .suspended))
        } catch {
            throw TributeError.invalidMultiplier("The cost of this action is out of range")
        }

        let decisionId = ids.decision
        var transactionId: String?
        var usedBudgets: [StoredBudget] = []
        // A free action (base cost 0) is approved and recorded, but moves nothing, so it
        // writes no ledger transaction and its answer carries no transactionId.
        if outcome.approved && (!outcome.fromAllowance.isZero || !outcome.creditsDebited.isZero) {
            let id = ids.transaction
            transactionId = id
            let debit = try LedgerTransaction(kind: .debit, postings: [
                Posting(account: .allowance(state.id), amount: -outcome.fromAllowance),
                Posting(account: .system(.usage), amount: outcome.fromAllowance),
                Posting(account: .wallet(state.id), amount: -outcome.creditsDebited),
                Posting(account: .system(.revenue), amount: outcome.creditsDebited),
            ])
            transactions.append(PendingTransaction(debit, id: id, workspaceId: state.id, decisionId: decisionId, atMillis: nowMillis))
            state.allowance -= outcome.fromAllowance
            state.periodUsed += outcome.fromAllowance
            state.wallet -= outcome.creditsDebited
            if !outcome.creditsDebited.isZero {
                var (list, touched) = try grants ?? (hot.grants(db, workspaceId: state.id), [])
                for take in Wallet.allocate(outcome.creditsDebited, from: list) {
                    guard let index = list.firstIndex(where: { $0.id == take.id }) else { continue }
                    list[index].remaining -= take.amount
                    touched.insert(take.id)
                }
                state.nextExpiryAtMillis = SQLiteLedger.nextExpiry(list)
                grants = (list, touched)
            }
        }
        if outcome.approved {
            usedBudgets = budgets.map { budget in
                var used = budget
                used.used += budget.unit == .actions ? outcome.actionsCharged : outcome.creditsDebited
                return StoredBudget(budget: used, periodStart: state.period.start)
            }
        }

        let record = DecisionRecord(
            id: decisionId, workspaceId: state.id, createdAtMillis: nowMillis, actionType: request.actionType, reason: outcome.reason,
            actionsCharged: outcome.actionsCharged, fromAllowance: outcome.fromAllowance, creditsDebited: outcome.creditsDebited,
            userId: request.userId, agentId: request.agentId, runId: request.runId, costVersion: costVersion,
            context: request.context, transactionId: transactionId)
        let previous = try hot.decisionHash(db)
        let hash = record.chainHash(previous: previous)
        let answer = AuthorizeAnswer(
            outcome: outcome, remainingBalance: state.wallet, remainingAllowance: state.allowance,
            decisionId: decisionId, costVersion: costVersion, transactionId: transactionId)
        var result = AuthorizeResult.answered(answer)
        if let idempotency {
            let outcome = AuthorizeOutcome(answer)
            try db.cachedStatement(sql: "INSERT INTO idempotency_keys (workspace_id, key, request_hash, response_body, approved, created_at) VALUES (?, ?, ?, ?, ?, ?)")
                .execute(arguments: [state.id, idempotency.key, idempotency.requestHash, outcome.body, outcome.approved, nowMillis])
            result = .stored(outcome)
        }
        hot.commitJob(HotChanges(
            workspace: state, grants: grants, budgets: usedBudgets, transactions: transactions,
            decision: (record, previous, hash)))
        return result
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
        try scopes.compactMap { try loadStoredBudget(db, workspaceId: workspaceId, scope: $0)?.current(periodStart: periodStart) }
    }

    /// One budget as stored, or `nil` when the scope has none.
    static func loadStoredBudget(_ db: Database, workspaceId: String, scope: BudgetScope) throws -> StoredBudget? {
        guard let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT limit_micros, unit, period, used_micros, period_start FROM budgets WHERE workspace_id = ? AND scope = ?"),
            arguments: [workspaceId, scope.description]) else { return nil }
        let budget = Budget(
            scope: scope, limit: Amount(micros: row[0]), unit: BudgetUnit(rawValue: row[1]) ?? .credits,
            period: BudgetPeriod(rawValue: row[2]) ?? .lifetime, used: Amount(micros: row[3]))
        return StoredBudget(budget: budget, periodStart: row[4])
    }
}
