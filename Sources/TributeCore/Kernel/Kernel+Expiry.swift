extension Kernel {
    /// The expiries a call or the sweeper settles: each expired hold released as a
    /// transaction and an `expiry` decision, chained in expiry order.
    struct Settlement {
        var state: WorkspaceState
        var grants: OpenGrants?
        var system: SystemBalances
        var transactions: [PendingTransaction] = []
        var decisions: [ChainedDecision] = []
        var holds: [HoldRecord] = []
        /// Budgets whose reserved use came back, as they now stand.
        var budgets: [StoredBudget] = []
    }

    /// Releases every open hold whose time ran out (SPEC §3.1: its amounts are free for any
    /// call after `expiresAt`, without waiting for the sweeper).
    /// - Parameters:
    ///   - holds: the workspace's open holds in expiry order: every one whose time has run
    ///     out (at most `HoldRecord.settleBound`), then the first that has not; loaded when
    ///     `Kernel.needs` says so.
    ///   - grants: the open grants with the drawn grants of those holds among them (even
    ///     used up), in creation order; loaded when `Kernel.needs` says so.
    /// - Returns: `nil` when no hold was due.
    static func settleExpiredHolds(
        state initial: WorkspaceState, grants given: OpenGrants?, holds loaded: [ExpiringHold],
        system: SystemBalances, ids: Ids, nowMillis: Int64
    ) throws -> Settlement? {
        guard let next = initial.nextHoldExpiryAtMillis, next <= nowMillis else { return nil }
        var settlement = Settlement(state: initial, system: system)
        var remaining: Int64?
        for expiring in loaded {
            guard expiring.hold.hasExpired(nowMillis: nowMillis) else {
                if expiring.hold.status == .open { remaining = min(remaining ?? .max, expiring.hold.expiresAtMillis) }
                continue
            }
            guard let open = settlement.grants ?? given else { throw MissingInput.grants }
            // A budget an earlier hold of this settlement gave use back to, as it left it.
            let budgets = expiring.budgets.map { loaded in settlement.budgets.first { $0.budget.scope == loaded.budget.scope } ?? loaded }
            let step = try settleHold(expiring.hold, state: settlement.state, grants: open, budgets: budgets, system: settlement.system,
                                       ids: Ids(decision: ids.next("dec"), next: ids.next), nowMillis: nowMillis)
            settlement.state = step.effects.workspace
            settlement.grants = step.effects.grants
            settlement.system = step.system
            settlement.transactions += step.effects.transactions
            settlement.decisions.append(step.effects.decision)
            settlement.holds.append(step.hold)
            for budget in step.effects.budgets {
                settlement.budgets.removeAll { $0.budget.scope == budget.budget.scope }
                settlement.budgets.append(budget)
            }
        }
        // A list that stopped at the bound may have left expired holds out: the next call
        // looks again.
        if loaded.lazy.filter({ $0.hold.hasExpired(nowMillis: nowMillis) }).count >= HoldRecord.settleBound { remaining = min(remaining ?? .max, nowMillis) }
        settlement.state.nextHoldExpiryAtMillis = remaining
        return settlement
    }

    /// The sweeper's step for one workspace: the expiries of its holds whose time ran out,
    /// as effects whose `decision` is the last expiry and `settled` the ones before it.
    /// - Parameter holds: as for a call; the sweeper calls this for workspaces it found an
    ///   expired open hold in, whatever `state.nextHoldExpiryAtMillis` says.
    /// - Returns: `nil` when no hold was due.
    public static func expireHolds(
        state given: WorkspaceState, grants: OpenGrants?, holds: [ExpiringHold], system: SystemBalances, ids: Ids, nowMillis: Int64
    ) throws -> (effects: LedgerEffects, system: SystemBalances)? {
        var state = given
        state.nextHoldExpiryAtMillis = min(state.nextHoldExpiryAtMillis ?? .max, nowMillis)
        guard let settlement = try settleExpiredHolds(state: state, grants: grants, holds: holds, system: system, ids: ids, nowMillis: nowMillis),
              let last = settlement.decisions.last else { return nil }
        var effects = LedgerEffects(workspace: settlement.state, grants: settlement.grants, budgets: settlement.budgets, transactions: settlement.transactions,
                                    decision: last, events: settlement.holds.map(HoldRecord.expiredEvent))
        effects.settled = Array(settlement.decisions.dropLast())
        effects.holds = settlement.holds
        return (effects, settlement.system)
    }
}

extension HoldRecord {
    /// The `hold.expired` event of a hold the clock released (SPEC §3.2).
    static func expiredEvent(_ hold: HoldRecord) -> EventDraft {
        (.holdExpired, [
            "holdId": .string(hold.id), "actionType": .string(hold.actionType), "committedActions": .amount(hold.committedActions),
            "committedAmount": .amount(hold.committedCredits), "expiresAt": .timestamp(millis: hold.expiresAtMillis),
        ])
    }
}
