/// A workspace as `GET /v1/workspaces/{id}` shows it.
public struct WorkspaceView: Sendable, Equatable {
    public var id: String
    public var name: String
    public var planId: String
    public var status: WorkspaceStatus
    public var anchorDate: CivilDate
    public var period: BillingPeriod
    public var remainingAllowance: Amount
    public var remainingBalance: Amount
    /// Credits open holds hold (not in `remainingBalance`).
    public var heldAmount: Amount
    /// Actions of the period's allowance open holds hold (not in `remainingAllowance`).
    public var heldAllowance: Amount
    public var createdAtMillis: Int64
    /// Below this the wallet raises a `balance.low` event; `nil`: never.
    public var lowBalanceThreshold: Amount?
    /// The allowance carried from earlier periods (part of `remainingAllowance`, spent
    /// first), soonest-expiring first (SPEC §3.9).
    public var rollover: [AllowanceCarry.Lot] = []

    public init(id: String, name: String, planId: String, status: WorkspaceStatus, anchorDate: CivilDate, period: BillingPeriod, remainingAllowance: Amount, remainingBalance: Amount, heldAmount: Amount, heldAllowance: Amount = .zero, createdAtMillis: Int64, lowBalanceThreshold: Amount? = nil) {
        self.id = id
        self.name = name
        self.planId = planId
        self.status = status
        self.anchorDate = anchorDate
        self.period = period
        self.remainingAllowance = remainingAllowance
        self.remainingBalance = remainingBalance
        self.heldAmount = heldAmount
        self.heldAllowance = heldAllowance
        self.createdAtMillis = createdAtMillis
        self.lowBalanceThreshold = lowBalanceThreshold
    }
}
