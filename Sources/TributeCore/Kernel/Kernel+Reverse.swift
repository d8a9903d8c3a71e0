extension Kernel {
    /// A charge as a backend found it, to be reversed.
    public struct Charge: Sendable {
        public var transaction: PendingTransaction
        public var decision: DecisionRecord
        /// For a hold's commit: when the hold was made (Unix milliseconds), the window its
        /// budget use counted in (`HoldRows.createdAt`); `nil` for a call.
        public var heldAtMillis: Int64?

        public init(transaction: PendingTransaction, decision: DecisionRecord, heldAtMillis: Int64? = nil) {
            self.transaction = transaction
            self.decision = decision
            self.heldAtMillis = heldAtMillis
        }
    }

    /// Reverses a charge (SPEC §3.5): one appended transaction that returns exactly what the
    /// debit took — its credits to the grants they came from, its allowance if the period it
    /// was taken in is still the current one, and its budget usage — recorded as a
    /// `REVERSED` decision in the workspace's chain. Credits given back to a grant that has
    /// expired since then expire again at once, in a second transaction.
    /// - Parameters:
    ///   - grants: the workspace's open grants with the charge's drawn grants among them
    ///     (even used up), in creation order.
    ///   - budgets: the stored budgets of the scopes the charge was checked against, with
    ///     their creation times.
    /// - Throws: `notReversible` for a transaction that is not a charge, or one recorded
    ///   before charges kept their grants; `amountTooLarge`.
    public static func reverse(
        _ charge: Charge, reason: String, state initial: WorkspaceState, grants loaded: OpenGrants, budgets stored: [StoredBudget],
        system: SystemBalances, ids: Ids, nowMillis: Int64
    ) throws -> (effects: LedgerEffects, system: SystemBalances) {
        // A charge is a debit, or what a hold's commit charged: what went to revenue and usage
        // (a final commit's transaction also gives the rest of the hold back), given back to
        // the wallet and allowance all the same.
        guard charge.transaction.kind == .debit || charge.transaction.kind == .holdCommit else {
            throw TributeError.notReversible("Only charges are reversed; a \(charge.transaction.kind.rawValue) transaction is corrected by its own operation")
        }
        let credits = charge.transaction.postings.filter { $0.account == .system(.revenue) }.reduce(Amount.zero) { $0 + $1.amount }
        let allowanceTaken = charge.transaction.postings.filter { $0.account == .system(.usage) }.reduce(Amount.zero) { $0 + $1.amount }
        guard let explanation = charge.decision.chargeExplanation,
              explanation.grants.reduce(Amount.zero, { $0 + $1.amount }) == credits else {
            throw TributeError.notReversible("This charge was recorded before charges kept the grants they drew from")
        }

        var state = initial
        var grants = loaded
        var transactions: [PendingTransaction] = []
        if let rolls = state.rollPeriod(nowMillis: nowMillis, transactionId: ids.next("txn")) { transactions += rolls }
        let chargedAtSeconds = charge.decision.createdAtMillis / 1000
        // A commit's allowance belongs to the period it was held in, whenever it was committed.
        let samePeriod = explanation.periodStart.map { $0 == state.period.start } ?? (state.period.start <= chargedAtSeconds && chargedAtSeconds < state.period.end)
        // The plan-change rule still holds after the reversal: the allowance left is at most
        // the plan's allowance less what the period used (a downgrade since the charge gives
        // back less).
        let allowanceBack = samePeriod ? state.allowanceReturnable(allowanceTaken, uncounting: allowanceTaken) : .zero

        guard let reversal = try? LedgerTransaction(kind: .reversal, postings: [
            Posting(account: .allowance(state.id), amount: allowanceBack),
            Posting(account: .system(.usage), amount: -allowanceBack),
            Posting(account: .wallet(state.id), amount: credits),
            Posting(account: .system(.revenue), amount: -credits),
        ]) else {
            throw TributeError.notReversible("Nothing of this charge can be given back: the allowance it took lapsed with its period")
        }
        for posting in reversal.postings where posting.account.workspaceId != nil {
            _ = try posting.applied(to: posting.account.kind == .wallet ? state.wallet : state.allowance)
        }
        let reversalId = ids.next("txn")
        transactions.append(PendingTransaction(reversal, id: reversalId, workspaceId: state.id, decisionId: ids.decision, atMillis: nowMillis,
                                               reverses: charge.transaction.id))
        state.wallet += credits
        state.allowance += allowanceBack
        if samePeriod { state.periodUsed = max(.zero, state.periodUsed - allowanceTaken) }
        for draw in explanation.grants {
            guard grants.restore(draw) else { throw TributeError.notReversible("Grant \(draw.grantId) of this charge is gone") }
        }
        state.nextExpiryAtMillis = grants.nextExpiryAtMillis
        if let expiry = state.expireGrants(&grants, nowMillis: nowMillis, transactionId: ids.next("txn")) { transactions.append(expiry) }

        // Budget use comes back to the budgets still counting the period it was charged in.
        var budgets: [StoredBudget] = []
        var checks: [ChargeExplanation.BudgetCheck] = []
        for check in explanation.budgets {
            guard var budget = stored.first(where: { $0.budget.scope == check.scope }) else { continue }
            // A budget deleted and made again since the charge is another budget.
            if let createdAtMillis = budget.createdAtMillis, createdAtMillis > charge.decision.createdAtMillis { continue }
            // A commit's use counted in the window its hold was made in.
            let counted = budget.stillCounts(chargedAtMillis: charge.heldAtMillis ?? charge.decision.createdAtMillis,
                                             chargedPeriodStart: samePeriod ? state.period.start : Int64.min, billing: state.period, nowMillis: nowMillis)
            guard counted else { continue }
            let charged = budget.budget.unit == .actions ? charge.decision.actionsCharged : charge.decision.creditsDebited
            checks.append(ChargeExplanation.BudgetCheck(budget.budget))
            budget.budget.used = max(.zero, budget.budget.used - charged)
            budgets.append(budget)
        }

        let (systemAfter, netting) = try system.settling(transactions.lazy.flatMap(\.postings))
        if let netting { transactions.append(PendingTransaction(netting, id: ids.next("txn"), workspaceId: nil, decisionId: nil, atMillis: nowMillis)) }

        let note = ChargeExplanation(
            baseCost: explanation.baseCost, costMultiplier: explanation.costMultiplier, grants: explanation.grants,
            budgets: checks, reverses: charge.transaction.id, note: reason)
        let original = charge.decision
        let record = DecisionRecord(
            id: ids.decision, workspaceId: state.id, createdAtMillis: nowMillis, actionType: original.actionType, reason: .reversed,
            actionsCharged: -original.actionsCharged, fromAllowance: -allowanceBack, creditsDebited: -credits,
            userId: original.userId, agentId: original.agentId, runId: original.runId, costVersion: original.costVersion,
            context: nil, transactionId: reversalId, explanation: note.encoded(actionsCharged: -original.actionsCharged))
        let decision = ChainedDecision.link(record, onto: &state)
        let effects = LedgerEffects(workspace: state, grants: grants, budgets: budgets, transactions: transactions, decision: decision, events: [])
        return (effects, systemAfter)
    }
}
