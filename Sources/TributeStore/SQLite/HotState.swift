import GRDB
import TributeCore

/// What the writer keeps in memory between authorize jobs, so that a debit costs three
/// INSERTs and no SELECT: workspaces with their plan and balances, current action costs,
/// the head of the decision hash chain, and the balance changes not yet written.
///
/// Only the writer touches it, on its queue. Balances are written back once per batch,
/// inside the batch's transaction, before the commit; so a committed batch always has
/// balances equal to the sum of its postings. Any other kind of write first flushes and
/// then forgets everything, and so does a failed batch: the database stays the truth.
final class HotState: @unchecked Sendable {
    private var workspaces: [String: WorkspaceState] = [:]
    private var costs: [String: (baseCost: Amount, version: Int64)] = [:]
    private var lastDecisionHash: String?
    /// Workspaces whose cached wallet or allowance is ahead of the database.
    private var dirty: Set<String> = []
    /// Changes to system accounts not yet written.
    private var systemDeltas: [AccountKind: Int64] = [:]

    /// Bounds memory: past this many cached workspaces, the ones already written are
    /// dropped. Never a flush here: this runs inside a job's savepoint, whose rollback
    /// would undo the flush of other jobs' balances.
    private let maxWorkspaces = 100_000

    func workspace(_ db: Database, id: String) throws -> WorkspaceState {
        if let cached = workspaces[id] { return cached }
        if workspaces.count >= maxWorkspaces {
            workspaces = workspaces.filter { dirty.contains($0.key) }
        }
        let state = try SQLiteLedger.loadWorkspace(db, id: id)
        workspaces[id] = state
        return state
    }

    func cost(_ db: Database, actionType: String) throws -> (baseCost: Amount, version: Int64) {
        if let cached = costs[actionType] { return cached }
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT base_cost_micros, version FROM action_types WHERE action_type = ?"), arguments: [actionType]) else {
            throw TributeError.unknownActionType(actionType)
        }
        let cost = (Amount(micros: row[0]), row[1] as Int64)
        costs[actionType] = cost
        return cost
    }

    func decisionHash(_ db: Database) throws -> String {
        if let lastDecisionHash { return lastDecisionHash }
        let hash = try SQLiteLedger.lastDecisionHash(db)
        lastDecisionHash = hash
        return hash
    }

    /// Records what a successful job changed; called only once its savepoint is released.
    func commitJob(workspace: WorkspaceState, balancesChanged: Bool, system: [(AccountKind, Amount)], decisionHash: String) {
        workspaces[workspace.id] = workspace
        if balancesChanged { dirty.insert(workspace.id) }
        for (kind, amount) in system where !amount.isZero { systemDeltas[kind, default: 0] += amount.micros }
        lastDecisionHash = decisionHash
    }

    /// Writes every pending balance into the current transaction.
    func flush(_ db: Database) throws {
        let setBalance = try db.cachedStatement(sql: "UPDATE accounts SET balance_micros = ? WHERE id = ?")
        for id in dirty {
            guard let state = workspaces[id] else { continue }
            try setBalance.execute(arguments: [state.wallet.micros, AccountRef.wallet(id).description])
            try setBalance.execute(arguments: [state.allowance.micros, AccountRef.allowance(id).description])
        }
        let addBalance = try db.cachedStatement(sql: "UPDATE accounts SET balance_micros = balance_micros + ? WHERE id = ?")
        for (kind, delta) in systemDeltas where delta != 0 {
            try addBalance.execute(arguments: [delta, AccountRef.system(kind).description])
        }
        dirty.removeAll(keepingCapacity: true)
        systemDeltas.removeAll(keepingCapacity: true)
    }

    /// Forgets everything, written or not: after a failed batch, or before and after a
    /// write that does not go through the cache.
    func invalidate() {
        workspaces.removeAll(keepingCapacity: true)
        costs.removeAll(keepingCapacity: true)
        lastDecisionHash = nil
        dirty.removeAll(keepingCapacity: true)
        systemDeltas.removeAll(keepingCapacity: true)
    }
}
