import TributeCore

/// One authorize call applied to a workspace's state in memory: the pricing decision of
/// SPEC §2, and the period roll, grant expiry, grant spending and budget use that go with
/// it. Every backend runs it while it alone may change the workspace, then writes what it
/// returns; it reads and writes nothing itself.
enum AuthorizeStep {
    /// The ids a decision and its debit will carry, made by the caller off the hot thread.
    struct Ids: Sendable {
        var decision: String
        var transaction: String

        init() {
            decision = Identifier.make("dec")
            transaction = Identifier.make("txn")
        }
    }

    /// What one call changes, to be written by the backend.
    struct Effects {
        var workspace: WorkspaceState
        /// The workspace's grant list after the call, and the ids whose remaining changed;
        /// `nil` when no grant changed.
        var grants: (list: [GrantBalance], touched: Set<String>)?
        /// Budgets whose use changed.
        var budgets: [StoredBudget]
        var transactions: [PendingTransaction]
        /// The decision, still to be chained by the backend.
        var decision: DecisionRecord
        var answer: AuthorizeAnswer
        /// Threshold alerts the call raised, for the outbox.
        var events: [EventDraft] = []
    }

    /// - Parameters:
    ///   - budgets: the stored budgets of the request's scopes that exist.
    ///   - grants: the workspace's open grants in creation order, asked for only when needed.
    /// - Throws: `invalidMultiplier` when the cost is out of range.
    static func run(
        _ request: AuthorizeRequest, state initial: WorkspaceState, cost: (baseCost: Amount, version: Int64),
        budgets stored: [StoredBudget], grants loadGrants: () throws -> [GrantBalance], ids: Ids, nowMillis: Int64
    ) throws -> Effects {
        var state = initial
        var transactions: [PendingTransaction] = []
        var grants: (list: [GrantBalance], touched: Set<String>)?

        if let roll = try rollPeriod(&state, nowMillis: nowMillis), let roll {
            transactions.append(PendingTransaction(roll, id: Identifier.make("txn"), workspaceId: state.id, decisionId: nil, atMillis: nowMillis))
        }
        if let next = state.nextExpiryAtMillis, next <= nowMillis {
            var list = try loadGrants()
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
            state.nextExpiryAtMillis = nextExpiry(list)
            grants = (list, touched)
        }
        let budgets = stored.map { $0.current(periodStart: state.period.start) }
        let usedBefore = state.periodUsed

        let outcome: PricingOutcome
        do {
            outcome = try Pricing.price(PricingInput(
                baseCost: cost.baseCost, costMultiplier: request.costMultiplier, allowanceLeft: state.allowance,
                overagePolicy: state.plan.overagePolicy, overageRate: state.plan.overageRate,
                creditsAvailable: state.wallet, budgets: budgets, suspended: state.status == .suspended))
        } catch {
            throw TributeError.invalidMultiplier("The cost of this action is out of range")
        }

        var transactionId: String?
        var usedBudgets: [StoredBudget] = []
        // A free action (base cost 0) is approved and recorded, but moves nothing, so it
        // writes no ledger transaction and its answer carries no transactionId.
        if outcome.approved && (!outcome.fromAllowance.isZero || !outcome.creditsDebited.isZero) {
            transactionId = ids.transaction
            let debit = try LedgerTransaction(kind: .debit, postings: [
                Posting(account: .allowance(state.id), amount: -outcome.fromAllowance),
                Posting(account: .system(.usage), amount: outcome.fromAllowance),
                Posting(account: .wallet(state.id), amount: -outcome.creditsDebited),
                Posting(account: .system(.revenue), amount: outcome.creditsDebited),
            ])
            transactions.append(PendingTransaction(debit, id: ids.transaction, workspaceId: state.id, decisionId: ids.decision, atMillis: nowMillis))
            state.allowance -= outcome.fromAllowance
            state.periodUsed += outcome.fromAllowance
            state.wallet -= outcome.creditsDebited
            if !outcome.creditsDebited.isZero {
                var (list, touched) = try grants ?? (loadGrants(), [])
                for take in Wallet.allocate(outcome.creditsDebited, from: list) {
                    guard let index = list.firstIndex(where: { $0.id == take.id }) else { continue }
                    list[index].remaining -= take.amount
                    touched.insert(take.id)
                }
                state.nextExpiryAtMillis = nextExpiry(list)
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

        let decision = DecisionRecord(
            id: ids.decision, workspaceId: state.id, createdAtMillis: nowMillis, actionType: request.actionType, reason: outcome.reason,
            actionsCharged: outcome.actionsCharged, fromAllowance: outcome.fromAllowance, creditsDebited: outcome.creditsDebited,
            userId: request.userId, agentId: request.agentId, runId: request.runId, costVersion: cost.version,
            context: request.context, transactionId: transactionId)
        let answer = AuthorizeAnswer(
            outcome: outcome, remainingBalance: state.wallet, remainingAllowance: state.allowance,
            decisionId: ids.decision, costVersion: cost.version, transactionId: transactionId)
        let events = ThresholdAlerts.crossed(
            allowance: state.plan.monthlyAllowance, usedBefore: usedBefore, usedAfter: state.periodUsed, walletBefore: initial.wallet,
            walletAfter: state.wallet, lowBalanceThreshold: state.lowBalanceThreshold, periodEndMillis: state.period.end * 1000)
        return Effects(workspace: state, grants: grants, budgets: usedBudgets, transactions: transactions, decision: decision, answer: answer, events: events)
    }

    /// Moves `state` into the period containing `nowMillis` if the stored one has ended.
    /// - Returns: `nil` when the period is current; otherwise the allowance transaction to
    ///   record, itself `nil` when no allowance moves.
    static func rollPeriod(_ state: inout WorkspaceState, nowMillis: Int64) throws -> LedgerTransaction?? {
        let nowSeconds = nowMillis / 1000
        guard nowSeconds >= state.period.end || nowSeconds < state.period.start else { return nil }
        let allowance = AccountRef.allowance(state.id)
        var postings: [Posting] = []
        if !state.allowance.isZero {
            postings += [Posting(account: allowance, amount: -state.allowance), Posting(account: .system(.allowanceLapsed), amount: state.allowance)]
        }
        if !state.plan.monthlyAllowance.isZero {
            postings += [Posting(account: .system(.allowanceIssued), amount: -state.plan.monthlyAllowance), Posting(account: allowance, amount: state.plan.monthlyAllowance)]
        }
        state.period = BillingPeriod.containing(nowSeconds, anchor: state.anchorDate)
        state.periodUsed = .zero
        state.allowance = state.plan.monthlyAllowance
        return .some(postings.isEmpty ? nil : try LedgerTransaction(kind: .allowanceReset, postings: postings))
    }



    /// The soonest expiry among grants with credits left.
    static func nextExpiry(_ grants: [GrantBalance]) -> Int64? {
        grants.lazy.filter { !$0.remaining.isZero }.compactMap(\.expiresAt).min()
    }

}
