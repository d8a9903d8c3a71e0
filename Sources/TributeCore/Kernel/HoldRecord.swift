/// A hold (SPEC §3.1): an estimate priced like a call and moved into the workspace's hold
/// accounts, charged later at the actual cost, released, or expired. What it still holds is
/// kept per source — allowance, and credits per grant in the order drawn — so that what
/// comes back goes back where it came from.
public struct HoldRecord: Sendable, Equatable {
    public enum Status: String, Sendable, CaseIterable {
        case open, committed, released, expired
    }

    /// A budget's use the hold reserved: counted in `used` from the hold on, and given back
    /// for whatever is not charged.
    public struct BudgetReservation: Sendable, Equatable {
        public var scope: BudgetScope
        public var unit: BudgetUnit
        public var reserved: Amount

        public init(scope: BudgetScope, unit: BudgetUnit, reserved: Amount) {
            self.scope = scope
            self.unit = unit
            self.reserved = reserved
        }
    }

    public var id: String
    public var workspaceId: String
    public var actionType: String
    public var userId: String?
    public var agentId: String?
    public var runId: String?
    public var costVersion: Int64
    /// The action's base cost at `costVersion`: what `actualCostMultiplier` multiplies (for a
    /// token-priced action, the part per call).
    public var baseCost: Amount
    /// A token-priced action's rates at `costVersion`: what `actualUsage` is priced at.
    public var tokenRates: TokenRates?
    /// The plan's overage rate when the hold was made: what its credits were priced at.
    public var overageRate: Amount
    /// Actions still held (the estimate less what was committed).
    public var heldActions: Amount
    /// Of those, the ones held from allowance.
    public var heldAllowance: Amount
    /// Credits still held.
    public var heldCredits: Amount
    /// Credits still held, per grant, in the order drawn.
    public var draws: [GrantDraw]
    public var budgets: [BudgetReservation]
    /// Unix seconds: the start of the period the held allowance belongs to.
    public var periodStart: Int64
    public var committedActions: Amount = .zero
    public var committedCredits: Amount = .zero
    /// Unix milliseconds.
    public var createdAtMillis: Int64
    public var expiresAtMillis: Int64
    public var status: Status = .open

    public init(id: String, workspaceId: String, actionType: String, userId: String?, agentId: String?, runId: String?, costVersion: Int64,
                baseCost: Amount, overageRate: Amount, heldActions: Amount, heldAllowance: Amount, heldCredits: Amount, draws: [GrantDraw],
                budgets: [BudgetReservation], periodStart: Int64, createdAtMillis: Int64, expiresAtMillis: Int64, tokenRates: TokenRates? = nil) {
        self.id = id
        self.tokenRates = tokenRates
        self.workspaceId = workspaceId
        self.actionType = actionType
        self.userId = userId
        self.agentId = agentId
        self.runId = runId
        self.costVersion = costVersion
        self.baseCost = baseCost
        self.overageRate = overageRate
        self.heldActions = heldActions
        self.heldAllowance = heldAllowance
        self.heldCredits = heldCredits
        self.draws = draws
        self.budgets = budgets
        self.periodStart = periodStart
        self.createdAtMillis = createdAtMillis
        self.expiresAtMillis = expiresAtMillis
    }

    /// Whether the hold's time has run out at `nowMillis`: its amounts are free again.
    public func hasExpired(nowMillis: Int64) -> Bool { status == .open && nowMillis >= expiresAtMillis }

    /// The hold as a read shows it at `nowMillis`: an open hold whose time ran out is
    /// expired, whether or not its expiry has been recorded yet.
    public func seen(atMillis nowMillis: Int64) -> HoldRecord {
        guard hasExpired(nowMillis: nowMillis) else { return self }
        var seen = self
        seen.status = .expired
        return seen
    }

    /// Unix milliseconds after which the allowance this hold took may no longer be held:
    /// the end of the period it was taken in, plus the longest time to live. A hold made in
    /// the period's last second with the longest time to live reaches that moment anyway;
    /// no extend moves a hold that holds allowance past it (SPEC §3.1, docs/holds.md).
    public func allowanceDeadlineMillis(anchor: CivilDate) -> Int64 {
        BillingPeriod.containing(periodStart, anchor: anchor).end * 1000 + HoldRecord.maxTTLSeconds * 1000
    }

    /// The most expired holds one call or sweep settles; the rest wait for the next (only
    /// a workspace with more holds than this expiring within one sweep interval sees it).
    public static let settleBound = 4_096

    /// The longest and default time a hold lasts (SPEC §3.1).
    public static let maxTTLSeconds: Int64 = 86_400
    public static let defaultTTLSeconds: Int64 = 300
}

/// A hold whose time may have run out, with the stored budgets of its scopes: what a call
/// settles before it is priced (SPEC §3.1: a hold's amounts are free for any call after
/// `expiresAt`, without waiting for the sweeper).
public struct ExpiringHold: Sendable {
    public var hold: HoldRecord
    public var budgets: [StoredBudget]

    public init(hold: HoldRecord, budgets: [StoredBudget]) {
        self.hold = hold
        self.budgets = budgets
    }
}
