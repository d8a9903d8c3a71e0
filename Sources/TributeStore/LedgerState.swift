import TributeCore

/// A workspace with its plan and balances, as a backend holds it while it alone may
/// change them (SQLite: on the writer thread; PostgreSQL: under the workspace row lock).
struct WorkspaceState {
    var id: String
    var name: String
    var status: WorkspaceStatus
    var anchorDate: CivilDate
    var period: BillingPeriod
    var periodUsed: Amount
    var nextExpiryAtMillis: Int64?
    var createdAtMillis: Int64
    var plan: Plan
    var wallet: Amount
    var allowance: Amount
    /// Below this the wallet raises a `balance.low` alert; `nil`: never.
    var lowBalanceThreshold: Amount?
}

/// A budget as stored: its use counts from `periodStart` (for monthly budgets).
struct StoredBudget {
    var budget: Budget
    var periodStart: Int64

    /// The budget as it stands in the period starting at `start`.
    func current(periodStart start: Int64) -> Budget {
        var current = budget
        if budget.period == .month && periodStart != start { current.used = .zero }
        return current
    }
}

/// A ledger transaction to append, built in memory before it is written.
struct PendingTransaction {
    var id: String
    var workspaceId: String?
    var kind: LedgerTransaction.Kind
    var decisionId: String?
    var atMillis: Int64
    var postings: [Posting]

    init(_ transaction: LedgerTransaction, id: String, workspaceId: String?, decisionId: String?, atMillis: Int64) {
        self.id = id
        self.workspaceId = workspaceId
        self.kind = transaction.kind
        self.decisionId = decisionId
        self.atMillis = atMillis
        self.postings = transaction.postings
    }
}

