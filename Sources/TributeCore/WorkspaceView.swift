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
    public var heldAmount: Amount
    public var createdAtMillis: Int64
    /// Below this the wallet raises a `balance.low` event; `nil`: never.
    public var lowBalanceThreshold: Amount?

    public init(id: String, name: String, planId: String, status: WorkspaceStatus, anchorDate: CivilDate, period: BillingPeriod, remainingAllowance: Amount, remainingBalance: Amount, heldAmount: Amount, createdAtMillis: Int64, lowBalanceThreshold: Amount? = nil) {
        self.id = id
        self.name = name
        self.planId = planId
        self.status = status
        self.anchorDate = anchorDate
        self.period = period
        self.remainingAllowance = remainingAllowance
        self.remainingBalance = remainingBalance
        self.heldAmount = heldAmount
        self.createdAtMillis = createdAtMillis
        self.lowBalanceThreshold = lowBalanceThreshold
    }
}
