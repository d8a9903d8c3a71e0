/// A new workspace.
public struct WorkspaceDraft: Sendable {
    public var id: String?
    public var name: String
    public var planId: String
    public var anchorDate: CivilDate?

    public init(id: String?, name: String, planId: String, anchorDate: CivilDate?) {
        self.id = id
        self.name = name
        self.planId = planId
        self.anchorDate = anchorDate
    }
}
