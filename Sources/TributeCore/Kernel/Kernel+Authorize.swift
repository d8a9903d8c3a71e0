extension Kernel {
    /// What an authorize call decided and changed.
    public struct Authorized: Sendable {
        public var effects: LedgerEffects
        public var answer: AuthorizeAnswer
        /// The system balances after the call's postings, for the next call of the batch.
        public var system: SystemBalances
    }

    /// One authorize call (SPEC §2) against a workspace's state: the period roll and grant
    /// expiry it settles first, the price, allowance before credits, soonest-expiring
    /// credits first, every budget of its scopes, the debit, the decision chained onto the
    /// workspace's head, threshold alerts, and netting of the system accounts.
    /// - Parameters:
    ///   - budgets: the stored budgets of the request's scopes that exist.
    ///   - grants: the workspace's open grants in creation order (changes of earlier calls
    ///     kept in `changed`), loaded before the call when `Kernel.needs` says so: the
    ///     kernel reads nothing while it decides.
    ///   - system: the system accounts' balances before the call.
    /// - Throws: `invalidUsage` when what the call gave does not fit how the action is priced
    ///   (`Pricing.terms`), `invalidMultiplier` when the cost is out of range,
    ///   `amountTooLarge` when a balance would pass the bound.
    ///   - holds: the workspace's open holds with their budgets, loaded when one may have
    ///     expired (`Kernel.needs`).
    public static func authorize(
        _ request: AuthorizeRequest, state initial: WorkspaceState, cost: ActionCost, budgets stored: [StoredBudget],
        grants given: OpenGrants?, holds expiring: [ExpiringHold] = [], system: SystemBalances, ids: Ids, nowMillis: Int64
    ) throws -> Authorized {
        try decide(request, state: initial, cost: cost, budgets: stored, grants: given, holds: expiring, system: system, ids: ids,
                   nowMillis: nowMillis, holding: nil).authorized
    }

    /// Where an approved call's amounts go: spent (`nil`), or into the hold accounts for the
    /// hold named.
    /// - Returns: also the credits drawn from each grant and the budgets checked, which a
    ///   hold keeps.
    static func decide(
        _ request: AuthorizeRequest, state initial: WorkspaceState, cost: ActionCost, budgets givenBudgets: [StoredBudget],
        grants given: OpenGrants?, holds expiring: [ExpiringHold], system givenSystem: SystemBalances, ids: Ids,
        nowMillis: Int64, holding holdId: String?
    ) throws -> (authorized: Authorized, draws: [GrantDraw], budgets: [Budget]) {
        var state = initial
        var transactions: [PendingTransaction] = []
        var grants: OpenGrants?
        var stored = givenBudgets, system = givenSystem
        var settled: [ChainedDecision] = [], settledHolds: [HoldRecord] = [], settledBudgets: [StoredBudget] = []

        // Holds whose time ran out are released first: their amounts are this call's to use.
        if let settlement = try settleExpiredHolds(state: state, grants: given, holds: expiring, system: system, ids: ids, nowMillis: nowMillis) {
            state = settlement.state
            grants = settlement.grants
            system = settlement.system
            transactions = settlement.transactions
            settled = settlement.decisions
            settledHolds = settlement.holds
            settledBudgets = settlement.budgets
            for budget in settledBudgets {
                if let index = stored.firstIndex(where: { $0.budget.scope == budget.budget.scope }) { stored[index] = budget }
            }
        }
        let settledCount = transactions.count

        if let rolls = state.rollPeriod(nowMillis: nowMillis, transactionId: ids.next("txn")) { transactions += rolls }
        if state.hasExpiredGrants(nowMillis: nowMillis) {
            guard var open = grants ?? given else { throw MissingInput.grants }
            if let expiry = state.expireGrants(&open, nowMillis: nowMillis, transactionId: ids.next("txn")) { transactions.append(expiry) }
            grants = open
        }
        stored.sort { BudgetScope.checkOrder($0.budget.scope, $1.budget.scope) }
        let budgets = stored.map { $0.current(billing: state.period, nowMillis: nowMillis) }
        let usedBefore = state.periodUsed

        let terms: (multiplier: Amount, tokens: TokenCharge?)
        do {
            terms = try Pricing.terms(of: cost, multiplier: request.costMultiplier, usage: request.usage)
        } catch {
            guard case .usageMismatch(let detail) = error else { throw TributeError.invalidUsage("The call's cost is out of range") }
            throw TributeError.invalidUsage(detail)
        }
        let outcome: PricingOutcome
        do {
            outcome = try Pricing.price(PricingInput(
                baseCost: cost.baseCost, costMultiplier: terms.multiplier, tokens: terms.tokens, allowanceLeft: state.allowance,
                overagePolicy: state.plan.overagePolicy, overageRate: state.plan.overageRate,
                creditsAvailable: state.wallet, budgets: budgets, suspended: state.status == .suspended))
        } catch {
            // No trap, no wrap: a cost or its overage past the largest amount is refused.
            guard request.usage == nil else { throw TributeError.invalidUsage("The cost of these tokens is out of range") }
            throw TributeError.invalidMultiplier("The cost of this action is out of range")
        }

        var transactionId: String?
        var draws: [GrantDraw] = []
        var usedBudgets: [StoredBudget] = []
        // A free action (base cost 0) is approved and recorded, but moves nothing, so it
        // writes no ledger transaction and its answer carries no transactionId.
        if outcome.approved && (!outcome.fromAllowance.isZero || !outcome.creditsDebited.isZero) {
            // One row a debit: the decision carries the transfer (`DecisionTransfer`).
            transactionId = DecisionTransfer.id(decisionId: ids.decision)
            let actionsTo: AccountRef = holdId == nil ? .system(.usage) : AccountRef(kind: .heldAllowance, workspaceId: state.id)
            let creditsTo: AccountRef = holdId == nil ? .system(.revenue) : AccountRef(kind: .heldCredits, workspaceId: state.id)
            guard let debit = DecisionTransfer.transaction(kind: holdId == nil ? .call : .hold, workspaceId: state.id, fromAllowance: outcome.fromAllowance,
                                                           credits: outcome.creditsDebited, givenBack: nil) else { preconditionFailure("a debit's postings are built in balanced pairs") }
            transactions.append(.carried(debit, decisionId: ids.decision, workspaceId: state.id, atMillis: nowMillis))
            state.takeAllowance(outcome.fromAllowance)
            state.wallet -= outcome.creditsDebited
            // Allowance held counts as used in its period, as a debit's does: a plan change, a
            // reversal's headroom and the allowance alerts see it (SPEC §3.1: net of holds);
            // what the hold gives back is uncounted again.
            state.periodUsed += outcome.fromAllowance
            if holdId != nil {
                state.heldAllowance = try Posting(account: actionsTo, amount: outcome.fromAllowance).applied(to: state.heldAllowance)
                state.heldCredits = try Posting(account: creditsTo, amount: outcome.creditsDebited).applied(to: state.heldCredits)
            }
            if !outcome.creditsDebited.isZero {
                guard var open = grants ?? given else { throw MissingInput.grants }
                draws = open.spend(outcome.creditsDebited)
                state.nextExpiryAtMillis = open.nextExpiryAtMillis
                grants = open
            }
        }
        if outcome.approved {
            usedBudgets = zip(stored, budgets).map { original, budget in
                var used = budget
                used.used += budget.unit == .actions ? outcome.actionsCharged : outcome.creditsDebited
                return original.using(used, billing: state.period, nowMillis: nowMillis)
            }
        }

        // The settled holds' transactions were settled by their releases; the rest here.
        let (systemAfter, netting) = try system.settling(transactions[settledCount...].lazy.flatMap(\.postings))
        if let netting { transactions.append(PendingTransaction(netting, id: ids.next("txn"), workspaceId: nil, decisionId: nil, atMillis: nowMillis)) }

        let explanation = ChargeExplanation(
            baseCost: cost.baseCost, costMultiplier: terms.multiplier, grants: draws, budgets: budgets.map(ChargeExplanation.BudgetCheck.init),
            hold: outcome.approved ? holdId : nil, tokens: terms.tokens)
        var record = DecisionRecord(
            id: ids.decision, workspaceId: state.id, createdAtMillis: nowMillis, actionType: request.actionType, reason: outcome.reason,
            actionsCharged: outcome.actionsCharged, fromAllowance: outcome.fromAllowance, creditsDebited: outcome.creditsDebited,
            userId: request.userId, agentId: request.agentId, runId: request.runId, costVersion: cost.version,
            context: request.context, transactionId: transactionId, explanation: explanation.encoded(actionsCharged: outcome.actionsCharged))
        if holdId != nil { record.kind = .hold }
        let decision = ChainedDecision.link(record, onto: &state)
        // In the same atomic step as the call: an attempt to buy credits, when it left them low.
        let topup = AutoTopup.trigger(&state, nowMillis: nowMillis) { ids.next("atu") }
        var answer = AuthorizeAnswer(
            outcome: outcome, remainingBalance: state.wallet, remainingAllowance: state.allowance,
            decisionId: ids.decision, costVersion: cost.version, transactionId: transactionId)
        answer.autoTopup = AutoTopup.notice(state.autoTopup, reason: outcome.reason, nowMillis: nowMillis)
        let events = ThresholdAlerts.crossed(
            allowance: state.plan.monthlyAllowance, usedBefore: usedBefore, usedAfter: state.periodUsed, walletBefore: initial.wallet,
            walletAfter: state.wallet, lowBalanceThreshold: state.lowBalanceThreshold, periodEndMillis: state.period.end * 1000)
        let expiredEvents = settledHolds.map(HoldRecord.expiredEvent)
        var effects = LedgerEffects(workspace: state, grants: grants, budgets: usedBudgets, transactions: transactions, decision: decision, events: expiredEvents + events)
        effects.settled = settled
        effects.holds = settledHolds
        effects.autoTopupStart = topup
        for budget in settledBudgets where !usedBudgets.contains(where: { $0.budget.scope == budget.budget.scope }) { effects.budgets.append(budget) }
        return (Authorized(effects: effects, answer: answer, system: systemAfter), draws, budgets)
    }
}
