import GRDB
import TributeCore

/// What a hot job hands the kernel to settle a workspace's expired holds (SPEC §3.1):
/// its open holds as the batch left them, each with the stored budgets of its scopes and
/// their creation times, and the grants with those holds' drawn grants among them (even
/// used up), so that their credits go back where they came from. The kernel asks for
/// the holds first, and for either only when a hold may have expired.
final class HoldSettlementLoaders {
    private let db: Database
    private let hot: HotState
    private let workspaceId: String
    private let nowMillis: Int64
    /// The grants the loaded holds drew from.
    private var drawn: [String] = []

    init(_ db: Database, hot: HotState, workspaceId: String, nowMillis: Int64) {
        self.db = db
        self.hot = hot
        self.workspaceId = workspaceId
        self.nowMillis = nowMillis
    }

    func holds() throws -> [ExpiringHold] {
        let open = try hot.expiringHolds(db, workspaceId: workspaceId, nowMillis: nowMillis)
        drawn = HoldRows.drawnGrantIds(open)
        var created: [(scope: String, createdAtMillis: Int64)]?
        return try open.map { hold in
            guard !hold.budgets.isEmpty else { return ExpiringHold(hold: hold, budgets: []) }
            let dates = try created ?? db.all(BudgetRows.createdAt(workspaceId: workspaceId), BudgetRows.createdAt)
            created = dates
            return ExpiringHold(hold: hold, budgets: try SQLiteStore.datedBudgets(db, hot: hot, hold: hold, createdAt: dates))
        }
    }

    func grants() throws -> OpenGrants {
        OpenGrants(try hot.grants(db, workspaceId: workspaceId, including: drawn))
    }
}

extension SQLiteStore {
    /// The stored budgets of the scopes a hold reserved use of, with their creation times
    /// (`createdAt`, read when `nil`): use comes back only to a budget that existed at the
    /// hold.
    static func datedBudgets(_ db: Database, hot: HotState, hold: HoldRecord,
                             createdAt: [(scope: String, createdAtMillis: Int64)]? = nil) throws -> [StoredBudget] {
        guard !hold.budgets.isEmpty else { return [] }
        let stored = try hot.budgets(db, workspaceId: hold.workspaceId, scopes: hold.budgets.map(\.scope))
        return BudgetRows.dated(stored, try createdAt ?? db.all(BudgetRows.createdAt(workspaceId: hold.workspaceId), BudgetRows.createdAt))
    }
}
