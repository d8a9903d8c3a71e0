import PostgresNIO
import TributeCore

/// Holds in an authorize batch: a call after a hold's expiry releases it first (SPEC §3.1),
/// so the batch reads the holds of the workspaces whose soonest hold expiry has passed, and
/// keeps them, as its calls settle them, for the calls after.
extension PostgresBatch {
    /// What the due holds need from the batch's main read.
    struct DueHolds {
        /// The budget scopes the holds reserved use of.
        var scopes: Set<String> = []
        /// The grants the holds drew from, read even used up.
        var drawnGrantIds: [String] = []
    }

    /// Reads, in one round trip, the holds to settle of every locked workspace whose
    /// soonest hold expiry has passed (`HoldRows.expiring`, per workspace), into `loaded`.
    static func loadDueHolds(_ loaded: inout [String: Loaded], _ connection: PostgresConnection, nowMillis: Int64) async throws -> DueHolds {
        let due = loaded.values.filter { ($0.state.nextHoldExpiryAtMillis ?? .max) <= nowMillis }.map(\.state.id).sorted()
        guard !due.isEmpty else { return DueHolds() }
        let parts = due.map { HoldRows.expiring(workspaceId: $0, nowMillis: nowMillis) }
        let statement = StoreStatement(parts.map { "(\($0.sql))" }.joined(separator: "\nUNION ALL\n"), parts.flatMap(\.values))
        var found: [String: [HoldRecord]] = [:]
        for hold in try await connection.all(statement, HoldRows.record) { found[hold.workspaceId, default: []].append(hold) }
        var result = DueHolds()
        for id in due {
            let holds = (found[id] ?? []).sorted(by: PostgresBatch.expiryOrder)
            loaded[id]?.holds = holds
            loaded[id]?.holdsBounded = holds.filter { $0.hasExpired(nowMillis: nowMillis) }.count >= HoldRows.settleBound
            for hold in holds { for reservation in hold.budgets { result.scopes.insert(reservation.scope.description) } }
            result.drawnGrantIds += HoldRows.drawnGrantIds(holds)
        }
        return result
    }

    /// The workspace's holds as the kernel takes them, each with its scopes' budgets as the
    /// batch's earlier calls left them.
    static func expiring(_ workspace: Loaded, budgets: [KeyRef: StoredBudget]) -> [ExpiringHold] {
        guard let holds = workspace.holds else { return [] }
        return holds.map { hold in
            ExpiringHold(hold: hold, budgets: hold.budgets.compactMap { budgets[KeyRef(workspaceId: hold.workspaceId, key: $0.scope.description)] })
        }
    }

    /// Keeps the holds a call moved: a closed one is gone (settled once), an open one
    /// replaced by its new state. A workspace whose read stopped at the bound is looked at
    /// again by the next batch once these are settled.
    static func keep(_ moved: [HoldRecord], in workspace: inout Loaded, nowMillis: Int64) {
        guard var holds = workspace.holds else { return }
        for hold in moved {
            holds.removeAll { $0.id == hold.id }
            if hold.status == .open { holds.append(hold) }
        }
        holds.sort(by: expiryOrder)
        workspace.holds = holds
        if workspace.holdsBounded && !holds.contains(where: { $0.hasExpired(nowMillis: nowMillis) }) {
            workspace.state.nextHoldExpiryAtMillis = min(workspace.state.nextHoldExpiryAtMillis ?? .max, nowMillis)
        }
    }

    static func expiryOrder(_ first: HoldRecord, _ second: HoldRecord) -> Bool {
        (first.expiresAtMillis, first.id) < (second.expiresAtMillis, second.id)
    }
}
