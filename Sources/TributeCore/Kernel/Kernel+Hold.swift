extension Kernel {
    /// What a hold call decided: the effects, the answer of SPEC §2, and the hold (`nil`
    /// when refused: a denied hold holds nothing).
    public struct Held: Sendable {
        public var effects: LedgerEffects
        public var answer: AuthorizeAnswer
        public var hold: HoldRecord?
        public var system: SystemBalances

        /// The body to answer (and to store with an idempotency key).
        public var outcome: AuthorizeOutcome { HoldAnswer.created(answer, hold: hold) }
    }

    /// A step of a hold after it was made: a commit, a release or an expiry.
    public struct HoldStep: Sendable {
        public var effects: LedgerEffects
        public var hold: HoldRecord
        public var system: SystemBalances
        /// For a commit: the decision fields of SPEC §2 for what was charged.
        public var answer: AuthorizeAnswer

        /// The body to answer (and to store with an idempotency key).
        public var outcome: AuthorizeOutcome {
            effects.decision.record.kind == .commit ? HoldAnswer.committed(answer, hold: hold) : HoldAnswer.released(hold, decisionId: effects.decision.record.id)
        }
    }

    /// `POST /v1/holds` (SPEC §3.1): priced and checked exactly like a call — allowance,
    /// credits soonest expiry first, every budget — and moved into the workspace's hold
    /// accounts instead of being spent; the budgets' use is reserved.
    /// - Throws: `invalidValue` for a time to live outside 1 s…24 h, and what `authorize`
    ///   throws.
    public static func hold(
        _ request: AuthorizeRequest, ttlSeconds: Int64, holdId: String, state: WorkspaceState, cost: ActionCost,
        budgets stored: [StoredBudget], grants: OpenGrants?, holds: [ExpiringHold] = [], system: SystemBalances, ids: Ids,
        nowMillis: Int64
    ) throws -> Held {
        guard (1...HoldRecord.maxTTLSeconds).contains(ttlSeconds) else {
            throw TributeError.invalidValue("ttlSeconds must be from 1 to \(HoldRecord.maxTTLSeconds)")
        }
        let decided = try decide(
            request, state: state, cost: cost, budgets: stored, grants: grants, holds: holds, system: system, ids: ids, nowMillis: nowMillis, holding: holdId)
        var authorized = decided.authorized
        let (draws, budgets) = (decided.draws, decided.budgets)
        let outcome = authorized.answer.outcome
        guard outcome.approved else { return Held(effects: authorized.effects, answer: authorized.answer, hold: nil, system: authorized.system) }
        var hold = HoldRecord(
            id: holdId, workspaceId: state.id, actionType: request.actionType, userId: request.userId, agentId: request.agentId, runId: request.runId,
            costVersion: cost.version, baseCost: cost.baseCost, overageRate: state.plan.overageRate, heldActions: outcome.actionsCharged,
            heldAllowance: outcome.fromAllowance, heldCredits: outcome.creditsDebited, draws: draws,
            budgets: budgets.map { HoldRecord.BudgetReservation(scope: $0.scope, unit: $0.unit, reserved: $0.unit == .actions ? outcome.actionsCharged : outcome.creditsDebited) },
            periodStart: authorized.effects.workspace.period.start, createdAtMillis: nowMillis, expiresAtMillis: nowMillis + ttlSeconds * 1000,
            tokenRates: cost.tokenRates)
        // A hold of nothing (a free action) is stored, but closed: there is nothing to commit.
        if hold.heldAllowance.isZero && hold.heldCredits.isZero { hold.status = .committed }
        if hold.status == .open {
            var workspace = authorized.effects.workspace
            workspace.nextHoldExpiryAtMillis = min(workspace.nextHoldExpiryAtMillis ?? .max, hold.expiresAtMillis)
            authorized.effects.workspace = workspace
        }
        authorized.effects.holds.append(hold)
        return Held(effects: authorized.effects, answer: authorized.answer, hold: hold, system: authorized.system)
    }

    /// `POST /v1/holds/{id}/commit` with what the caller sent: actions, a multiplier of the
    /// action's base cost at the hold's cost version, a token-priced action's tokens at the
    /// hold's rates, or (`nil`) everything still held.
    /// - Throws: `invalidMultiplier` for a cost past the largest amount, `invalidUsage` for
    ///   tokens on a hold priced per call or a multiplier on a token-priced one, and what
    ///   `commitHold(_:actualActions:...)` throws.
    public static func commitHold(
        _ hold: HoldRecord, actual: HoldActual?, final: Bool, state: WorkspaceState, grants: OpenGrants, budgets: [StoredBudget],
        system: SystemBalances, ids: Ids, nowMillis: Int64
    ) throws -> HoldStep {
        let actions: Amount
        var tokens: TokenCharge?
        switch actual {
        case nil: actions = hold.heldActions
        case .actions(let value): actions = value
        case .costMultiplier(let multiplier):
            guard hold.tokenRates == nil else { throw TributeError.invalidUsage("\(hold.actionType) is priced per token: give actualUsage or actualActions") }
            guard let cost = hold.baseCost.multiplied(by: multiplier) else { throw TributeError.invalidMultiplier("The actual cost is out of range") }
            actions = cost
        case .usage(let usage):
            guard let rates = hold.tokenRates else { throw TributeError.invalidUsage("\(hold.actionType) is priced per call: give actualCostMultiplier or actualActions") }
            // The part per call is charged by the hold's first commit only: it was held once.
            let charge = TokenCharge(usage: usage, rates: rates, perCall: hold.committedActions.isZero ? hold.baseCost : .zero)
            guard let cost = charge.cost else { throw TributeError.exceedsHold("The actual usage costs more than the largest amount, more than is held") }
            (actions, tokens) = (cost, charge)
        }
        return try commitHold(hold, actualActions: actions, tokens: tokens, final: final, state: state, grants: grants, budgets: budgets, system: system,
                              ids: ids, nowMillis: nowMillis)
    }

    /// `POST /v1/holds/{id}/extend` (SPEC §3.1): the hold's new `expiresAt`, `ttlSeconds`
    /// from now, with the workspace's soonest hold expiry moved with it (a hold made shorter
    /// is free for the first call after its new `expiresAt`). No money moves and no decision
    /// is recorded.
    ///
    /// Allowance belongs to its period: a hold that still holds allowance is never extended
    /// past `allowanceDeadlineMillis` (its period's end plus the longest time to live), so
    /// that a hold cannot carry a period's unused allowance into the next one and beyond.
    /// A suspended workspace's holds are not extended: work already done is still committed,
    /// new time is not given.
    /// - Throws: `holdExpired` (also once the expiry is recorded), `holdClosed` (committed or
    ///   released), `invalidValue` for a time to live outside 1 s…24 h, `workspaceSuspended`,
    ///   `extendsPastPeriod`.
    public static func extendHold(_ hold: HoldRecord, ttlSeconds: Int64, state: WorkspaceState, nowMillis: Int64) throws -> (hold: HoldRecord, state: WorkspaceState) {
        guard hold.status != .expired, !hold.hasExpired(nowMillis: nowMillis) else { throw TributeError.holdExpired(hold.id) }
        guard hold.status == .open else { throw TributeError.holdClosed(hold.id) }
        guard (1...HoldRecord.maxTTLSeconds).contains(ttlSeconds) else {
            throw TributeError.invalidValue("ttlSeconds must be from 1 to \(HoldRecord.maxTTLSeconds)")
        }
        guard state.status == .active else { throw TributeError.workspaceSuspended(state.id) }
        var extended = hold
        extended.expiresAtMillis = nowMillis + ttlSeconds * 1000
        if !hold.heldAllowance.isZero {
            let deadline = hold.allowanceDeadlineMillis(anchor: state.anchorDate)
            guard extended.expiresAtMillis <= deadline else {
                throw TributeError.extendsPastPeriod(
                    "Hold \"\(hold.id)\" holds allowance of the period that ends at \(ISOTime.format(millis: deadline - HoldRecord.maxTTLSeconds * 1000)); it can be extended to \(ISOTime.format(millis: deadline)) at the latest. Commit what was used and hold again")
            }
        }
        var moved = state
        moved.nextHoldExpiryAtMillis = min(state.nextHoldExpiryAtMillis ?? .max, extended.expiresAtMillis)
        return (extended, moved)
    }

    /// `POST /v1/holds/{id}/commit` (SPEC §3.1): charges `actualActions` of what is still
    /// held, allowance before credits as held; with `final`, gives back the rest.
    /// - Parameters:
    ///   - grants: the workspace's open grants with the hold's drawn grants among them (even
    ///     used up), in creation order.
    ///   - budgets: the stored budgets of the hold's scopes, with their creation times.
    ///   - tokens: a token-priced commit's tokens at the hold's rates, which its explanation records.
    /// - Throws: `holdClosed`, `holdExpired`, `exceedsHold`, `amountTooLarge`.
    public static func commitHold(
        _ hold: HoldRecord, actualActions: Amount, tokens: TokenCharge? = nil, final: Bool, state initial: WorkspaceState, grants loaded: OpenGrants, budgets stored: [StoredBudget],
        system: SystemBalances, ids: Ids, nowMillis: Int64
    ) throws -> HoldStep {
        guard hold.status != .expired, !hold.hasExpired(nowMillis: nowMillis) else { throw TributeError.holdExpired(hold.id) }
        guard hold.status == .open else { throw TributeError.holdClosed(hold.id) }
        guard actualActions >= .zero, actualActions <= hold.heldActions else {
            throw TributeError.exceedsHold("\(actualActions) actions is more than the \(hold.heldActions) still held")
        }
        // It would move nothing and record a decision: refused, so that it cannot be repeated
        // forever.
        guard !actualActions.isZero || final else {
            throw TributeError.invalidValue("A commit of 0 actions that keeps the hold open changes nothing; release the hold, or commit with final true")
        }
        var hold = hold, state = initial, grants = loaded
        var transactions: [PendingTransaction] = []
        if let rolls = state.rollPeriod(nowMillis: nowMillis, transactionId: ids.next("txn")) { transactions += rolls }
        let fromAllowance = min(actualActions, hold.heldAllowance)
        guard let overageCredits = (actualActions - fromAllowance).multiplied(by: hold.overageRate) else {
            throw TributeError.amountTooLarge("The actual cost is past the largest amount an account holds")
        }
        // Rounded like the estimate was: never more than what is held.
        let credits = min(overageCredits, hold.heldCredits)
        state.heldAllowance -= fromAllowance
        state.heldCredits -= credits
        // The allowance charged was counted as used when it was held.
        let consumed = take(credits, from: &hold.draws)
        hold.heldActions -= actualActions
        hold.heldAllowance -= fromAllowance
        hold.heldCredits -= credits
        hold.committedActions += actualActions
        hold.committedCredits += credits
        for index in hold.budgets.indices {
            let charged = hold.budgets[index].unit == .actions ? actualActions : credits
            hold.budgets[index].reserved = max(.zero, hold.budgets[index].reserved - charged)
        }
        var budgets: [StoredBudget] = []
        var expiry: PendingTransaction?
        var givenBack: ChargeExplanation.GivenBack?
        if final || hold.heldActions.isZero {
            // The rest goes back in the commit's own transfer: one transfer a commit.
            let back = try giveBack(&hold, state: &state, grants: &grants, budgets: stored, into: &budgets, ids: ids, nowMillis: nowMillis)
            givenBack = back.givenBack
            expiry = back.expiry
            hold.status = .committed
        }
        // The decision carries the transfer (`DecisionTransfer`).
        var commitId: String?
        if let commit = DecisionTransfer.transaction(kind: .commit, workspaceId: state.id, fromAllowance: fromAllowance, credits: credits, givenBack: givenBack) {
            commitId = DecisionTransfer.id(decisionId: ids.decision)
            transactions.append(.carried(commit, decisionId: ids.decision, workspaceId: state.id, atMillis: nowMillis))
        }
        if let expiry { transactions.append(expiry) }
        let (systemAfter, netting) = try system.settling(transactions.lazy.flatMap(\.postings))
        if let netting { transactions.append(PendingTransaction(netting, id: ids.next("txn"), workspaceId: nil, decisionId: nil, atMillis: nowMillis)) }
        // The budgets the charge counts in, so that a reversal of the commit gives their use back.
        let checks = hold.budgets.compactMap { reservation in
            stored.first { $0.budget.scope == reservation.scope && $0.budget.unit == reservation.unit }
                .map { ChargeExplanation.BudgetCheck($0.current(billing: state.period, nowMillis: nowMillis)) }
        }
        // A token-priced commit's base is the part per call it charged (none after the first).
        var explanation = ChargeExplanation(baseCost: tokens?.perCall ?? hold.baseCost, costMultiplier: .zero, grants: consumed, budgets: checks,
                                            hold: hold.id, periodStart: hold.periodStart)
        explanation.tokens = tokens
        explanation.givenBack = givenBack
        var record = DecisionRecord(
            id: ids.decision, workspaceId: state.id, createdAtMillis: nowMillis, actionType: hold.actionType, reason: .approved,
            actionsCharged: actualActions, fromAllowance: fromAllowance, creditsDebited: credits, userId: hold.userId, agentId: hold.agentId,
            runId: hold.runId, costVersion: hold.costVersion, context: nil, transactionId: commitId, explanation: explanation.encoded(actionsCharged: actualActions))
        record.kind = .commit
        let decision = ChainedDecision.link(record, onto: &state)
        let topup = AutoTopup.trigger(&state, nowMillis: nowMillis) { ids.next("atu") }
        var effects = LedgerEffects(workspace: state, grants: grants, budgets: budgets, transactions: transactions, decision: decision, events: [])
        effects.autoTopupStart = topup
        let answer = AuthorizeAnswer(
            outcome: PricingOutcome(reason: .approved, actionsCharged: actualActions, fromAllowance: fromAllowance, creditsDebited: credits),
            remainingBalance: state.wallet, remainingAllowance: state.allowance, decisionId: ids.decision, costVersion: hold.costVersion, transactionId: commitId)
        var step = HoldStep(effects: effects, hold: hold, system: systemAfter, answer: answer)
        step.effects.holds = [hold]
        return step
    }

    /// `POST /v1/holds/{id}/release` (SPEC §3.1): gives back everything still held.
    /// - Throws: `holdExpired` for a hold whose time ran out (the clock released it, or
    ///   will), `holdClosed` for one committed or released.
    public static func releaseHold(
        _ hold: HoldRecord, state: WorkspaceState, grants: OpenGrants, budgets: [StoredBudget], system: SystemBalances, ids: Ids, nowMillis: Int64
    ) throws -> HoldStep {
        if hold.status == .expired || hold.hasExpired(nowMillis: nowMillis) { throw TributeError.holdExpired(hold.id) }
        return try settleHold(hold, state: state, grants: grants, budgets: budgets, system: system, ids: ids, nowMillis: nowMillis)
    }

    /// A release asked for, or the expiry of a hold whose time ran out: gives back
    /// everything still held — allowance to the period it came from (lapsed if that period
    /// has ended), credits to their grants, reserved budget use — as one transaction and a
    /// decision of kind `release` or `expiry`.
    /// - Throws: `holdClosed` for a hold no longer open.
    static func settleHold(
        _ hold: HoldRecord, state initial: WorkspaceState, grants loaded: OpenGrants, budgets stored: [StoredBudget],
        system: SystemBalances, ids: Ids, nowMillis: Int64
    ) throws -> HoldStep {
        guard hold.status == .open else { throw TributeError.holdClosed(hold.id) }
        var hold = hold, state = initial, grants = loaded
        let expired = hold.hasExpired(nowMillis: nowMillis)
        var transactions: [PendingTransaction] = []
        if let rolls = state.rollPeriod(nowMillis: nowMillis, transactionId: ids.next("txn")) { transactions += rolls }
        var budgets: [StoredBudget] = []
        let returned = hold.draws
        let back = try giveBack(&hold, state: &state, grants: &grants, budgets: stored, into: &budgets, ids: ids, nowMillis: nowMillis)
        // The decision carries the transfer (`DecisionTransfer`).
        var releaseId: String?
        if let release = DecisionTransfer.transaction(kind: .release, workspaceId: state.id, fromAllowance: .zero, credits: .zero, givenBack: back.givenBack) {
            releaseId = DecisionTransfer.id(decisionId: ids.decision)
            transactions.append(.carried(release, decisionId: ids.decision, workspaceId: state.id, atMillis: nowMillis))
        }
        if let expiry = back.expiry { transactions.append(expiry) }
        hold.status = expired ? .expired : .released
        let (systemAfter, netting) = try system.settling(transactions.lazy.flatMap(\.postings))
        if let netting { transactions.append(PendingTransaction(netting, id: ids.next("txn"), workspaceId: nil, decisionId: nil, atMillis: nowMillis)) }
        var explanation = ChargeExplanation(baseCost: hold.baseCost, costMultiplier: .zero, grants: returned, hold: hold.id)
        explanation.givenBack = back.givenBack
        var record = DecisionRecord(
            id: ids.decision, workspaceId: state.id, createdAtMillis: nowMillis, actionType: hold.actionType, reason: .approved,
            actionsCharged: .zero, fromAllowance: .zero, creditsDebited: .zero, userId: hold.userId, agentId: hold.agentId, runId: hold.runId,
            costVersion: hold.costVersion, context: nil, transactionId: releaseId, explanation: explanation.encoded(actionsCharged: .zero))
        record.kind = expired ? .expiry : .release
        let decision = ChainedDecision.link(record, onto: &state)
        var effects = LedgerEffects(workspace: state, grants: grants, budgets: budgets, transactions: transactions, decision: decision,
                                    events: expired ? [HoldRecord.expiredEvent(hold)] : [])
        effects.holds = [hold]
        let answer = AuthorizeAnswer(
            outcome: PricingOutcome(reason: .approved, actionsCharged: .zero, fromAllowance: .zero, creditsDebited: .zero),
            remainingBalance: state.wallet, remainingAllowance: state.allowance, decisionId: ids.decision, costVersion: hold.costVersion, transactionId: record.transactionId)
        return HoldStep(effects: effects, hold: hold, system: systemAfter, answer: answer)
    }

    /// Gives back all the hold still holds: the postings that move it out of the hold
    /// accounts (none when it holds nothing), credits restored to their grants (expiring at
    /// once, in `expiry`, where the grant has expired since), reserved budget use returned
    /// to the budgets still counting it. The workspace's balances move with the postings.
    private static func giveBack(
        _ hold: inout HoldRecord, state: inout WorkspaceState, grants: inout OpenGrants, budgets stored: [StoredBudget],
        into budgets: inout [StoredBudget], ids: Ids, nowMillis: Int64
    ) throws -> (givenBack: ChargeExplanation.GivenBack, expiry: PendingTransaction?) {
        let samePeriod = hold.periodStart == state.period.start
        // Allowance of an ended period is offered to that period's rollover, within its cap
        // (SPEC §3.9), and the rest lapses, as the close would have done; in the same period,
        // what a plan change since the hold no longer grants lapses too.
        let allowanceBack = samePeriod ? state.allowanceReturnable(hold.heldAllowance, uncounting: hold.heldAllowance)
            : state.carryLate(hold.heldAllowance, heldInPeriodStart: hold.periodStart)
        let givenBack = ChargeExplanation.GivenBack(credits: hold.heldCredits, allowance: allowanceBack, lapsed: hold.heldAllowance - allowanceBack)
        let postings = DecisionTransfer.givenBackPostings(givenBack, workspaceId: state.id)
        for posting in postings where posting.account == .wallet(state.id) { state.wallet = try posting.applied(to: state.wallet) }
        for posting in postings where posting.account == .allowance(state.id) { state.allowance = try posting.applied(to: state.allowance) }
        state.heldAllowance -= hold.heldAllowance
        state.heldCredits -= hold.heldCredits
        if samePeriod { state.periodUsed = max(.zero, state.periodUsed - hold.heldAllowance) }
        for draw in hold.draws where !draw.amount.isZero {
            guard grants.restore(draw) else { throw TributeError.notReversible("Grant \(draw.grantId) of hold \(hold.id) is gone") }
        }
        state.nextExpiryAtMillis = grants.nextExpiryAtMillis
        let expiry = state.expireGrants(&grants, nowMillis: nowMillis, transactionId: ids.next("txn"))
        for reservation in hold.budgets where !reservation.reserved.isZero {
            guard var budget = stored.first(where: { $0.budget.scope == reservation.scope }), budget.budget.unit == reservation.unit else { continue }
            if let createdAtMillis = budget.createdAtMillis, createdAtMillis > hold.createdAtMillis { continue }
            guard budget.stillCounts(chargedAtMillis: hold.createdAtMillis, chargedPeriodStart: hold.periodStart, billing: state.period, nowMillis: nowMillis) else {
                continue
            }
            budget.budget.used = max(.zero, budget.budget.used - reservation.reserved)
            budgets.append(budget)
        }
        hold.heldActions = .zero
        hold.heldAllowance = .zero
        hold.heldCredits = .zero
        hold.draws = []
        for index in hold.budgets.indices { hold.budgets[index].reserved = .zero }
        return (givenBack, expiry)
    }

    /// Takes `amount` from the front of `draws` (the order the credits were drawn in).
    /// - Returns: what was taken from each grant.
    private static func take(_ amount: Amount, from draws: inout [GrantDraw]) -> [GrantDraw] {
        var left = amount
        var taken: [GrantDraw] = []
        for index in draws.indices where !left.isZero && !draws[index].amount.isZero {
            let part = min(left, draws[index].amount)
            draws[index].amount -= part
            left -= part
            taken.append(GrantDraw(grantId: draws[index].grantId, amount: part))
        }
        draws.removeAll { $0.amount.isZero }
        return taken
    }
}
