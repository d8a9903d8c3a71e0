import GRDB
import TributeCore

/// What a hot job loads for the kernel before it runs (`Kernel.needs`), so that the kernel
/// reads nothing while it decides: the workspace's open holds as the batch left them when
/// one may have expired (SPEC §3.1), each with the stored budgets of its scopes and their
/// creation times, and the grants — with those holds' drawn grants among them, even used up,
/// so that their credits go back where they came from — when credits may move.
struct KernelInputs {
    var grants: OpenGrants?
    var holds: [ExpiringHold] = []

    /// - Parameter sweeping: the sweeper's step, which settles whatever the workspace's
    ///   stored next expiry says, and so loads both.
    init(_ db: Database, hot: HotState, state: WorkspaceState, nowMillis: Int64, sweeping: Bool = false) throws {
        let needs = sweeping ? Kernel.Needs(holds: true, grants: true) : Kernel.needs(state, nowMillis: nowMillis)
        var drawn: [String] = []
        if needs.holds {
            let open = try hot.expiringHolds(db, workspaceId: state.id, nowMillis: nowMillis)
            drawn = HoldRows.drawnGrantIds(open)
            var created: [(scope: String, createdAtMillis: Int64)]?
            holds = try open.map { hold in
                guard !hold.budgets.isEmpty else { return ExpiringHold(hold: hold, budgets: []) }
                let dates = try created ?? db.all(BudgetRows.createdAt(workspaceId: state.id), BudgetRows.createdAt)
                created = dates
                return ExpiringHold(hold: hold, budgets: try SQLiteStore.datedBudgets(db, hot: hot, hold: hold, createdAt: dates))
            }
        }
        if needs.grants { grants = OpenGrants(try hot.grants(db, workspaceId: state.id, including: drawn)) }
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
