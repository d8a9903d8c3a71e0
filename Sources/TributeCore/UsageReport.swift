/// Usage of one workspace over a date range, from approved decisions.
public struct UsageReport: Sendable {
    public struct Bucket: Sendable {
        public var count: Int64
        public var actions: Amount
        public var credits: Amount

        public init(count: Int64, actions: Amount, credits: Amount) {
            self.count = count
            self.actions = actions
            self.credits = credits
        }
    }

    public var workspaceId: String
    /// Unix milliseconds, inclusive.
    public var fromMillis: Int64
    /// Unix milliseconds, exclusive.
    public var toMillis: Int64
    public var remainingBalance: Amount
    public var remainingAllowance: Amount
    public var totalActions: Amount
    public var totalCreditsSpent: Amount
    public var byActionType: [String: Bucket]
    public var daily: [(date: CivilDate, actions: Amount, credits: Amount)]
    public var topUsers: [(userId: String, actions: Amount, credits: Amount)]

    public init(workspaceId: String, fromMillis: Int64, toMillis: Int64, remainingBalance: Amount, remainingAllowance: Amount, totalActions: Amount, totalCreditsSpent: Amount, byActionType: [String: Bucket], daily: [(date: CivilDate, actions: Amount, credits: Amount)], topUsers: [(userId: String, actions: Amount, credits: Amount)]) {
        self.workspaceId = workspaceId
        self.fromMillis = fromMillis
        self.toMillis = toMillis
        self.remainingBalance = remainingBalance
        self.remainingAllowance = remainingAllowance
        self.totalActions = totalActions
        self.totalCreditsSpent = totalCreditsSpent
        self.byActionType = byActionType
        self.daily = daily
        self.topUsers = topUsers
    }
}
