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

    /// The most closes one roll makes one by one, so that one call writes a bounded number
    /// of rows: a workspace untouched for longer (which the sweeper, closing every period
    /// as it ends, leaves only when it does not run) first jumps to the period this many
    /// closes before the current one, all its allowance and rollover lapsing.
    static let stepwiseCloses = 36

    /// Moves the workspace into the period containing `nowMillis` if the stored one has
    /// ended: each period boundary crossed is one close (`closePeriod`), one transaction.
    /// - Returns: `nil` when the period is current; otherwise the allowance transactions to
    ///   record (ids from `transactionId`), in order, none when no allowance moves.
    public mutating func rollPeriod(nowMillis: Int64, transactionId: @autoclosure () -> String) -> [PendingTransaction]? {
        guard periodHasEnded(nowMillis: nowMillis) else { return nil }
        let now = nowMillis / 1000
        let current = BillingPeriod.containing(now, anchor: anchorDate)
        // A new workspace's placeholder period (it ended before the workspace existed)
        // carries nothing; without rollover terms or carries, the periods between are one
        // close, as every close but the last would carry nothing.
        let placeholder = period.end * 1000 <= createdAtMillis
        guard !placeholder, plan.rollover != nil || !rollover.lots.isEmpty else {
            return closePeriod(into: current, carrying: !placeholder, atMillis: nowMillis, transactionId: transactionId()).map { [$0] } ?? []
        }
        var closes = 0
        var boundary = period.end
        while boundary <= now, closes <= Self.stepwiseCloses {
            closes += 1
            boundary = BillingPeriod.containing(boundary, anchor: anchorDate).end
        }
        var transactions: [PendingTransaction] = []
        if closes > Self.stepwiseCloses {
            var start = current.start
            for _ in 0..<Self.stepwiseCloses { start = BillingPeriod.containing(start - 1, anchor: anchorDate).start }
            if let jump = closePeriod(into: BillingPeriod.containing(start, anchor: anchorDate), carrying: false, atMillis: nowMillis, transactionId: transactionId()) {
                transactions.append(jump)
            }
        }
        while periodHasEnded(nowMillis: nowMillis) {
            let next = BillingPeriod.containing(period.end, anchor: anchorDate)
            if let close = closePeriod(into: next, carrying: true, atMillis: nowMillis, transactionId: transactionId()) { transactions.append(close) }
        }
        return transactions
    }

    /// One period close: the rollover that lapses at the boundary lapses; with the plan's
    /// rollover terms (and `carrying`), part of the fresh allowance left carries
    /// (`RolloverTerms.carry`), after the oldest carries are trimmed to the cap; the rest
    /// lapses; the plan's allowance is issued for `next`.
    /// - Returns: the allowance transaction, `nil` when no allowance moves.
    private mutating func closePeriod(into next: BillingPeriod, carrying: Bool, atMillis: Int64, transactionId: @autoclosure () -> String) -> PendingTransaction? {
        var kept = rollover
        if carrying {
            _ = kept.expire(at: next.start)
            if let terms = plan.rollover {
                _ = kept.trim(to: terms.maxCarry)
                // The carry may not pass the bound of the allowance account with the next
                // period's allowance beside it.
                let room = min(terms.maxCarry, Amount.max - plan.monthlyAllowance)
                _ = kept.trim(to: room)
                kept.add(min(terms.carry(unused: unusedFresh, held: kept.held), max(.zero, room - kept.held)),
                         expiresAt: terms.expiry(ofCarryAt: next.start, anchor: anchorDate))
            }
        } else {
            kept = AllowanceCarry()
        }
        let carried = kept.held
        let lapsed = allowance - carried
        kept.carriedIn = carried
        rollover = kept
        period = next
        periodUsed = .zero
        allowance = carried + plan.monthlyAllowance
        let allowanceAccount = AccountRef.allowance(id)
        var postings: [Posting] = []
        if !lapsed.isZero {
            postings += [Posting(account: allowanceAccount, amount: -lapsed), Posting(account: .system(.allowanceLapsed), amount: lapsed)]
        }
        if !plan.monthlyAllowance.isZero {
            postings += [Posting(account: .system(.allowanceIssued), amount: -plan.monthlyAllowance), Posting(account: allowanceAccount, amount: plan.monthlyAllowance)]
        }
        guard !postings.isEmpty else { return nil }
        // Balanced by construction: each pair above sums to zero.
        guard let transaction = try? LedgerTransaction(kind: .allowanceReset, postings: postings) else {
            preconditionFailure("a period close's postings are built in balanced pairs")
        }
        var pending = PendingTransaction(transaction, id: transactionId(), workspaceId: id, decisionId: nil, atMillis: atMillis)
        if !carried.isZero { pending.detail = TransactionDetail.carried(carried, boundary: next.start).encoded }
        return pending
    }

    /// The fresh allowance a close may carry from: what is left beyond the rollover held,
    /// but never more than the plan gave the period less what the period used of it.
    /// Allowance given back within the period (a released hold, a reversal) is spendable
    /// again as fresh allowance, whatever it was taken from; at the close it carries only
    /// as what it was: rollover taken and given back does not carry twice.
    var unusedFresh: Amount {
        let left = max(.zero, allowance - rollover.held)
        let rolloverUsed = max(.zero, rollover.carriedIn - rollover.held)
        let freshUsed = max(.zero, periodUsed - rolloverUsed)
        return min(left, max(.zero, plan.monthlyAllowance - freshUsed))
    }

    /// Takes `amount` actions of allowance for a call or a hold: the rollover first,
    /// soonest-expiring first, then the fresh allowance.
    public mutating func takeAllowance(_ amount: Amount) {
        allowance -= amount
        rollover.spend(amount)
    }

    /// Moves the workspace to `newPlan`: the allowance left becomes the new plan's allowance
    /// less what this period already used, never below zero.
    /// - Returns: the allowance transaction (id `transactionId`), `nil` when nothing moves.
    /// - Throws: `amountTooLarge` when stored amounts are past what an amount holds.
    public mutating func changePlan(to newPlan: Plan, nowMillis: Int64, transactionId: @autoclosure () -> String) throws(TributeError) -> PendingTransaction? {
        // The fresh allowance becomes the new plan's less what this period took from fresh
        // allowance (what it used, less what it used of its rollover); the rollover stays,
        // trimmed (oldest first) where the new plan's rule leaves it less room.
        guard let headroom = newPlan.monthlyAllowance.adding(rollover.carriedIn), let left = headroom.subtracting(periodUsed) else {
            throw .amountTooLarge("The workspace's allowance is past the largest amount an account holds")
        }
        _ = rollover.trim(to: max(.zero, left))
        let carried = rollover.held
        guard let fresh = max(.zero, left).subtracting(carried), let delta = (max(.zero, fresh) + carried).subtracting(allowance) else {
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
        guard let usedAfter = periodUsed.subtracting(uncounted), let cap = plan.monthlyAllowance.adding(rollover.carriedIn),
              let room = cap.subtracting(max(.zero, usedAfter)), let headroom = room.subtracting(allowance) else { return .zero }
        return min(amount, max(.zero, headroom))
    }

    /// How much of `amount` actions held in the period that started at `periodStart` (one
    /// that has ended) carries when given back now: a hold released after its period's
    /// close offers its allowance to that close's rollover, by the same rule and within the
    /// same cap as the close; the rest lapses. The carry is added here.
    mutating func carryLate(_ amount: Amount, heldInPeriodStart periodStart: Int64) -> Amount {
        guard let terms = plan.rollover else { return .zero }
        let boundary = BillingPeriod.containing(periodStart, anchor: anchorDate).end
        let expiresAt = terms.expiry(ofCarryAt: boundary, anchor: anchorDate)
        guard expiresAt > period.start else { return .zero }
        let carry = terms.carry(unused: amount, held: rollover.held)
        guard carry > .zero, let carriedIn = rollover.carriedIn.adding(carry), allowance.adding(carry) != nil else { return .zero }
        rollover.add(carry, expiresAt: expiresAt)
        rollover.carriedIn = carriedIn
        return carry
    }

    /// Empties the grants whose expiry has passed, if the stored next expiry says one has.
    /// - Returns: the expiry transaction (id `transactionId`), `nil` when nothing expired.
    public mutating func expireGrants(_ grants: inout OpenGrants, nowMillis: Int64, transactionId: @autoclosure () -> String) -> PendingTransaction? {
        defer { nextExpiryAtMillis = grants.nextExpiryAtMillis }
        let slices = grants.expire(nowMillis: nowMillis)
        let expired = slices.reduce(Amount.zero) { $0 + $1.amount }
        guard !expired.isZero else { return nil }
        wallet -= expired
        guard let transaction = try? LedgerTransaction.transfer(.grantExpiry, expired, from: .wallet(id), to: .system(.expired)) else {
            preconditionFailure("an expiry is one balanced pair")
        }
        var pending = PendingTransaction(transaction, id: transactionId(), workspaceId: id, decisionId: nil, atMillis: nowMillis)
        pending.detail = TransactionDetail.expired(slices).encoded
        return pending
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
        _ = state.rollPeriod(nowMillis: nowMillis, transactionId: "")
        if hasExpiredGrants(nowMillis: nowMillis) { state.wallet -= expiredCredits }
        return state
    }
}
