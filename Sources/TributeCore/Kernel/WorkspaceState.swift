/// A workspace with its plan, balances and chain head, as the kernel sees it: loaded by a
/// backend while it alone may change the workspace (SQLite: on the writer thread;
/// PostgreSQL: under the workspace row lock), changed only by the kernel's functions.
public struct WorkspaceState: Sendable, Equatable {
    public var id: String
    public var name: String
    public var status: WorkspaceStatus
    public var anchorDate: CivilDate
    public var period: BillingPeriod
    /// Actions taken from allowance in `period`.
    public var periodUsed: Amount
    /// Unix milliseconds of the soonest expiry among grants with credits left.
    public var nextExpiryAtMillis: Int64?
    public var createdAtMillis: Int64
    public var plan: Plan
    public var wallet: Amount
    public var allowance: Amount
    /// Below this the wallet raises a `balance.low` alert; `nil`: never.
    public var lowBalanceThreshold: Amount?
    /// The hash of the workspace's newest decision (`DecisionRecord.genesisHash` before the
    /// first): stored with the workspace, so that removing the newest decision is caught.
    public var decisionHead: String
    /// Allowance and credits held by open holds (their accounts' balances): not part of
    /// `allowance` and `wallet`, which are what calls may use.
    public var heldAllowance: Amount = .zero
    public var heldCredits: Amount = .zero
    /// Unix milliseconds of the soonest expiry among open holds: a call made after it
    /// releases them first, without waiting for the sweeper.
    public var nextHoldExpiryAtMillis: Int64?
    /// Auto top-up's trigger (SPEC §3.8); `nil` while it is off.
    public var autoTopup: AutoTopup.Trigger?
    /// The allowance carried from earlier periods (SPEC §3.9): part of `allowance`.
    public var rollover = AllowanceCarry()

    public init(id: String, name: String, status: WorkspaceStatus, anchorDate: CivilDate, period: BillingPeriod, periodUsed: Amount,
                nextExpiryAtMillis: Int64?, createdAtMillis: Int64, plan: Plan, wallet: Amount, allowance: Amount,
                lowBalanceThreshold: Amount?, decisionHead: String) {
        self.id = id
        self.name = name
        self.status = status
        self.anchorDate = anchorDate
        self.period = period
        self.periodUsed = periodUsed
        self.nextExpiryAtMillis = nextExpiryAtMillis
        self.createdAtMillis = createdAtMillis
        self.plan = plan
        self.wallet = wallet
        self.allowance = allowance
        self.lowBalanceThreshold = lowBalanceThreshold
        self.decisionHead = decisionHead
    }
}

/// A budget as stored: its use counts from `periodStart`, the start of its window.
public struct StoredBudget: Sendable, Equatable {
    public var budget: Budget
    /// Unix seconds: the start of the window its `used` belongs to (`BudgetPeriod.windowStart`:
    /// the workspace's billing period for `month`, the UTC day or week for `day` and `week`).
    public var periodStart: Int64
    /// When the budget was created (a replacement keeps it; a delete and a new one does
    /// not), when the caller read it: a reversal gives use back only to a budget that
    /// existed at the charge.
    public var createdAtMillis: Int64?

    public init(budget: Budget, periodStart: Int64, createdAtMillis: Int64? = nil) {
        self.budget = budget
        self.periodStart = periodStart
        self.createdAtMillis = createdAtMillis
    }

    /// The budget as it stands at `nowMillis` (in the billing period `billing`): its use
    /// starts afresh with each window. Only a window *later* than the stored one starts
    /// afresh: an instance whose clock is behind another's (or a clock stepped back) sees the
    /// newer window's use, never zero, so that no cap opens while clocks disagree.
    public func current(billing: BillingPeriod, nowMillis: Int64) -> Budget {
        var current = budget
        if budget.period != .lifetime && periodStart < budget.period.windowStart(billing: billing, nowMillis: nowMillis) { current.used = .zero }
        return current
    }

    /// `used` (this budget as `current` gave it, with a call's use added) stored in the
    /// window that holds `nowMillis`, or in the stored one when that is later (`current`).
    public func using(_ used: Budget, billing: BillingPeriod, nowMillis: Int64) -> StoredBudget {
        let window = used.period.windowStart(billing: billing, nowMillis: nowMillis)
        return StoredBudget(budget: used, periodStart: max(window, periodStart), createdAtMillis: createdAtMillis)
    }

    /// Whether the stored use still counts a charge made at `chargedAtMillis`, in the billing
    /// period starting at `chargedPeriodStart`, in the window current at `nowMillis`: what a
    /// release or a reversal may give back. A window that rolled since keeps what was charged
    /// in it (SPEC §3.7, as the billing period does: docs/holds.md).
    public func stillCounts(chargedAtMillis: Int64, chargedPeriodStart: Int64, billing: BillingPeriod, nowMillis: Int64) -> Bool {
        let period = budget.period
        if period == .lifetime { return true }
        let current = max(period.windowStart(billing: billing, nowMillis: nowMillis), periodStart)
        let charged = period == .month ? chargedPeriodStart : period.windowStart(billing: billing, nowMillis: chargedAtMillis)
        return charged == current && periodStart == current
    }

    /// `budget` stored as used in the window that holds `nowMillis`.
    public init(using budget: Budget, billing: BillingPeriod, nowMillis: Int64, createdAtMillis: Int64? = nil) {
        self.init(budget: budget, periodStart: budget.period.windowStart(billing: billing, nowMillis: nowMillis), createdAtMillis: createdAtMillis)
    }
}

/// A ledger transaction to append, built by the kernel before a backend writes it.
public struct PendingTransaction: Sendable {
    public var id: String
    public var workspaceId: String?
    public var kind: LedgerTransaction.Kind
    public var decisionId: String?
    /// The transaction this one reverses (`POST /v1/transactions/{id}/reverse`).
    public var reverses: String?
    public var atMillis: Int64
    public var postings: [Posting]
    /// Whether the transfer is carried by its decision's row (`DecisionTransfer`): the
    /// backends move its balances but write no transaction or posting rows for it.
    public var carriedByDecision = false
    /// What the postings alone do not say, which statements need (`TransactionDetail`):
    /// stored with the transaction's row, `nil` for most.
    public var detail: String?

    public init(_ transaction: LedgerTransaction, id: String, workspaceId: String?, decisionId: String?, atMillis: Int64, reverses: String? = nil) {
        self.id = id
        self.workspaceId = workspaceId
        self.kind = transaction.kind
        self.decisionId = decisionId
        self.reverses = reverses
        self.atMillis = atMillis
        self.postings = transaction.postings
    }
}
