/// Changes to a workspace; `nil` leaves a field as it is.
public struct WorkspacePatch: Sendable {
    public var planId: String?
    public var status: WorkspaceStatus?
    public var name: String?
    /// Zero removes the threshold.
    public var lowBalanceThreshold: Amount?

    public init(planId: String?, status: WorkspaceStatus?, name: String?, lowBalanceThreshold: Amount? = nil) {
        self.planId = planId
        self.status = status
        self.name = name
        self.lowBalanceThreshold = lowBalanceThreshold
    }
}
