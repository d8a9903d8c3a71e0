/// The billing period rules: when a period ends, the allowance left lapses and the plan's
/// allowance is issued afresh, through the ledger; a plan change mid-period keeps what was
/// used. Every backend, and every view, goes through these.
extension WorkspaceState {
    /// Whether the stored period has ended by `nowMillis`. Periods only move forward: a
    /// time before the stored period (a clock read before a lock was waited for, or an
    /// instance whose clock lags) is counted in the stored period, never rolls it back.
    public func periodHasEnded(nowMillis: Int64) -> Bool {
        nowMillis / 1000 >= period.end
    }

    /// Moves the workspace into the period containing `nowMillis` if the stored one has
    /// ended.
    /// - Returns: `nil` when the period is current; otherwise the allowance transaction to
    ///   record (with id `transactionId`), itself `nil` when no allowance moves.
    public mutating func rollPeriod(nowMillis: Int64, transactionId: @autoclosure () -> String) -> PendingTransaction?? {
        guard periodHasEnded(nowMillis: nowMillis) else { return nil }
        let allowanceAccount = AccountRef.allowance(id)
        var postings: [Posting] = []
        if !allowance.isZero {
            postings += [Posting(account: allowanceAccount, amount: -allowance), Posting(account: .system(.allowanceLapsed), amount: allowance)]
        }
        if !plan.monthlyAllowance.isZero {
            postings += [Posting(account: .system(.allowanceIssued), amount: -plan.monthlyAllowance), Posting(account: allowanceAccount, amount: plan.monthlyAllowance)]
        }
        period = BillingPeriod.containing(nowMillis / 1000, anchor: anchorDate)
        periodUsed = .zero
        allowance = plan.monthlyAllowance
        guard !postings.isEmpty else { return .some(nil) }
        // Balanced by construction: each pair above sums to zero.
        guard let transaction = try? LedgerTransaction(kind: .allowanceReset, postings: postings) else {
            preconditionFailure("a period roll's postings are built in balanced pairs")
        }
        return .some(PendingTransaction(transaction, id: transactionId(), workspaceId: id, decisionId: nil, atMillis: nowMillis))
    }

    /// Moves the workspace to `newPlan`: the allowance left becomes the new plan's allowance
    /// less what this period already used, never below zero.
    /// - Returns: the allowance transaction (id `transactionId`), `nil` when nothing moves.
    /// - Throws: `amountTooLarge` when stored amounts are past what an amount holds.
    public mutating func changePlan(to newPlan: Plan, nowMillis: Int64, transactionId: @autoclosure () -> String) throws(TributeError) -> PendingTransaction? {
        guard let left = newPlan.monthlyAllowance.subtracting(periodUsed), let delta = max(.zero, left).subtracting(allowance) else {
            throw .amountTooLarge("The workspace's allowance is past the largest amount an account holds")
        }
        plan = newPlan
        guard !delta.isZero else { return nil }
        allowance += delta
        guard let transaction = try? LedgerTransaction(kind: .allowanceReset, postings: [
            Posting(account: .allowance(id), amount: delta), Posting(account: .system(.allowanceIssued), amount: -delta),
        ]) else { preconditionFailure("a plan change's postings are one balanced pair") }
        return PendingTransaction(transaction, id: transactionId(), workspaceId: id, decisionId: nil, atMillis: nowMillis)
    }

    /// How much of `amount` actions of allowance given back to the current period may
    /// return to it: the plan-change rule still holds afterwards, so the allowance left is
    /// at most the plan's allowance less what the period used once `uncounted` is no longer
    /// counted as used. A downgrade since the allowance was taken gives back less; the rest
    /// lapses. The one rule for every give-back: a reversal's, and a hold's release, expiry
    /// or final commit.
    public func allowanceReturnable(_ amount: Amount, uncounting uncounted: Amount) -> Amount {
        guard let usedAfter = periodUsed.subtracting(uncounted), let room = plan.monthlyAllowance.subtracting(max(.zero, usedAfter)),
              let headroom = room.subtracting(allowance) else { return .zero }
        return min(amount, max(.zero, headroom))
    }

    /// Empties the grants whose expiry has passed, if the stored next expiry says one has.
    /// - Returns: the expiry transaction (id `transactionId`), `nil` when nothing expired.
    public mutating func expireGrants(_ grants: inout OpenGrants, nowMillis: Int64, transactionId: @autoclosure () -> String) -> PendingTransaction? {
        defer { nextExpiryAtMillis = grants.nextExpiryAtMillis }
        let expired = grants.expire(nowMillis: nowMillis)
        guard !expired.isZero else { return nil }
        wallet -= expired
        guard let transaction = try? LedgerTransaction.transfer(.grantExpiry, expired, from: .wallet(id), to: .system(.expired)) else {
            preconditionFailure("an expiry is one balanced pair")
        }
        return PendingTransaction(transaction, id: transactionId(), workspaceId: id, decisionId: nil, atMillis: nowMillis)
    }

    /// Whether a grant may have expired by `nowMillis`: only then are the grants loaded.
    public func hasExpiredGrants(nowMillis: Int64) -> Bool {
        guard let next = nextExpiryAtMillis else { return false }
        return next <= nowMillis
    }

    /// The workspace as a read shows it at `nowMillis`: a period that has ended, or credits
    /// that have expired (`expiredMicros`, summed by the backend), shown as the next write
    /// will settle them.
    public func projected(nowMillis: Int64, expiredCredits: Amount) -> WorkspaceState {
        var state = self
        if state.periodHasEnded(nowMillis: nowMillis) {
            state.period = BillingPeriod.containing(nowMillis / 1000, anchor: anchorDate)
            state.periodUsed = .zero
            state.allowance = plan.monthlyAllowance
        }
        if hasExpiredGrants(nowMillis: nowMillis) { state.wallet -= expiredCredits }
        return state
    }
}
