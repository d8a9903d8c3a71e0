import GRDB
import TributeCore

/// What the writer keeps in memory between authorize jobs, so that a debit reads nothing
/// and writes nothing until the end of its batch: workspaces with their plan and balances,
/// (with their decision chain heads), open credit grants, budgets, holds, current action
/// costs, and the rows and balance changes the kernel's effects left not yet written.
///
/// Only the writer touches it, on its thread. Everything pending is written once per
/// batch, inside the batch's transaction and before its commit (`flush`), so a committed
/// batch always has balances equal to the sum of its postings. Any other kind of write
/// first flushes and then forgets everything, and so does a failed batch: the database
/// stays the truth.
final class HotState: @unchecked Sendable {
    private var workspaces: [String: WorkspaceState] = [:]
    private var costs: [String: ActionCost] = [:]
    /// Open grants per workspace, in creation order, loaded when a debit first needs them.
    private var grants: [String: [GrantBalance]] = [:]
    /// Budgets that exist, of the workspaces calls have named.
    private var budgets = BudgetCache()
    /// Holds read or changed by jobs (SPEC §3.1).
    private var holds = HoldCache()
    /// The hold accounts' balances as last read or written per cached workspace: most
    /// batches move no hold, and then write no hold account.
    private var storedHeld: [String: (allowance: Amount, credits: Amount)] = [:]

    /// Workspaces whose cached balances or period fields are ahead of the database.
    private var dirty: Set<String> = []
    private var dirtyGrants: [String: Amount] = [:]
    /// Changes to system accounts not yet written.
    private var systemDeltas: [AccountKind: Int64] = [:]
    /// System account balances with the pending changes applied, loaded when first needed:
    /// what `Posting.applied(to:)` checks each job's postings against.
    private var systemBalances: SystemBalances?
    /// Transaction and decision rows not yet written, in the order they are numbered.
    private var pendingRows: [LedgerRow] = []
    private var pendingEvents: [(workspaceId: String, atMillis: Int64, events: [EventDraft])] = []
    /// Auto top-up attempts calls started (`AutoTopup.trigger`), for the outbox: rare.
    private var pendingAttempts: [AutoTopup.Start] = []
    /// The `seq` of the next ledger row (`SQLiteLedger.nextSeq`), once known; other writers
    /// invalidate it.
    private var nextSeq: Int64?

    /// A row of `transactions` (with its postings) or of `decisions`: both numbered from
    /// one sequence, so that the ledger lists them in the order they were written.
    private enum LedgerRow {
        case transaction(PendingTransaction)
        case decision(ChainedDecision)
    }

    /// Bounds memory: past this many cached workspaces, the ones already written are
    /// dropped. Never a flush here: this runs inside a job.
    private let maxWorkspaces = 100_000

    func workspace(_ db: Database, id: String) throws -> WorkspaceState {
        if let cached = workspaces[id] { return cached }
        if workspaces.count >= maxWorkspaces {
            workspaces = workspaces.filter { dirty.contains($0.key) }
            grants = grants.filter { dirty.contains($0.key) }
            storedHeld = storedHeld.filter { dirty.contains($0.key) }
        }
        let state = try SQLiteLedger.loadWorkspace(db, id: id)
        workspaces[id] = state
        storedHeld[id] = (state.heldAllowance, state.heldCredits)
        return state
    }

    func cost(_ db: Database, actionType: String) throws -> ActionCost {
        if let cached = costs[actionType] { return cached }
        guard let cost = try db.one(ActionCostRows.currentCost(of: actionType), ActionCostRows.cost) else { throw TributeError.unknownActionType(actionType) }
        costs[actionType] = cost
        return cost
    }

    /// The workspace's grants with credits left, in creation order.
    func grants(_ db: Database, workspaceId: String) throws -> [GrantBalance] {
        if let cached = grants[workspaceId] { return cached }
        let loaded = try SQLiteLedger.openGrants(db, workspaceId: workspaceId)
        grants[workspaceId] = loaded
        return loaded
    }

    /// The workspace's grants with credits left and the grants named (even used up), in
    /// creation order: what giving a hold's credits back needs, since the cached list
    /// drops used-up grants.
    func grants(_ db: Database, workspaceId: String, including ids: [String]) throws -> [GrantBalance] {
        if ids.isEmpty { return try grants(db, workspaceId: workspaceId) }
        if let cached = grants[workspaceId], ids.allSatisfy({ id in cached.contains { $0.id == id } }) { return cached }
        // Grants given credits back earlier in the batch are stored as used up: named too,
        // with their cached balance laid over the stored one.
        var named = ids
        var seen = Set(ids)
        for id in dirtyGrants.keys where seen.insert(id).inserted { named.append(id) }
        var loaded = try SQLiteLedger.grants(db, workspaceId: workspaceId, including: named)
        for index in loaded.indices {
            if let remaining = dirtyGrants[loaded[index].id] { loaded[index].remaining = remaining }
        }
        grants[workspaceId] = loaded
        return loaded
    }

    /// A hold as the batch left it, or as stored; `nil` when there is none.
    func hold(_ db: Database, id: String) throws -> HoldRecord? {
        try holds.hold(db, id: id)
    }

    /// The workspace's open holds a call or the sweeper settles, as the batch left them
    /// (`HoldCache.expiring`).
    func expiringHolds(_ db: Database, workspaceId: String, nowMillis: Int64) throws -> [HoldRecord] {
        try holds.expiring(db, workspaceId: workspaceId, nowMillis: nowMillis)
    }

    /// Records a hold a job changed without a ledger step (an extension).
    func updateHold(_ hold: HoldRecord, atMillis: Int64) {
        holds.update(hold, atMillis: atMillis)
    }

    /// Records a workspace a job changed without a ledger step (an extended hold's expiry).
    func updateWorkspace(_ state: WorkspaceState) {
        workspaces[state.id] = state
        dirty.insert(state.id)
    }

    var cachedBudgetCount: Int { budgets.count }

    /// The stored budgets of the given scopes (use not yet started afresh for a new period).
    func budgets(_ db: Database, workspaceId: String, scopes: [BudgetScope]) throws -> [StoredBudget] {
        try budgets.budgets(db, workspaceId: workspaceId, scopes: scopes)
    }

    /// The system accounts' balances with every pending change applied: what the kernel
    /// settles each call's postings against.
    func systemBalances(_ db: Database) throws -> SystemBalances {
        if let systemBalances { return systemBalances }
        let loaded = try SQLiteLedger.systemBalances(db)
        systemBalances = loaded
        return loaded
    }

    /// Records what a successful job changed (the kernel's effects), to be written by
    /// `flush`: workspace accounts and the chain head move with `effects.workspace`,
    /// system accounts with the postings of its transactions.
    func commitJob(_ effects: LedgerEffects, system: SystemBalances) {
        let id = effects.workspace.id
        systemBalances = system
        workspaces[id] = effects.workspace
        dirty.insert(id)
        if let changed = effects.grants {
            for (grantId, remaining) in changed.changed { dirtyGrants[grantId] = remaining }
            grants[id] = changed.list.filter { !$0.remaining.isZero }
        }
        for budget in effects.budgets { budgets.update(budget, workspaceId: id) }
        for hold in effects.holds { holds.update(hold, atMillis: effects.decision.record.createdAtMillis) }
        for transaction in effects.transactions {
            for posting in transaction.postings where posting.account.workspaceId == nil {
                systemDeltas[posting.account.kind, default: 0] += posting.amount.micros
            }
        }
        // In the order the kernel applied them: a decision where the transfer it carries
        // stands among the job's transactions, the decisions always in their chain order.
        let decisions = effects.decisions
        var written = 0
        for transaction in effects.transactions {
            guard transaction.carriedByDecision else {
                pendingRows.append(.transaction(transaction))
                continue
            }
            guard let index = decisions[written...].firstIndex(where: { $0.record.id == transaction.decisionId }) else { continue }
            while written <= index {
                pendingRows.append(.decision(decisions[written]))
                written += 1
            }
        }
        for decision in decisions[written...] { pendingRows.append(.decision(decision)) }
        if !effects.events.isEmpty { pendingEvents.append((id, effects.decision.record.createdAtMillis, effects.events)) }
        if let start = effects.autoTopupStart { pendingAttempts.append(start) }
    }

    /// Writes every pending row and balance into the current transaction.
    func flush(_ db: Database) throws {
        if !pendingRows.isEmpty {
            // Sequence numbers are given here rather than by SQLite so that postings can
            // name their transaction without a round trip per row.
            var seq = try nextSeq ?? SQLiteLedger.nextSeq(db)
            var postings: [(seq: Int64, posting: Posting)] = []
            var transactions: [(seq: Int64, transaction: PendingTransaction)] = []
            var decisions: [(seq: Int64, decision: ChainedDecision)] = []
            for row in pendingRows {
                switch row {
                case .transaction(let transaction):
                    transactions.append((seq, transaction))
                    for posting in transaction.postings { postings.append((seq, posting)) }
                case .decision(let decision):
                    decisions.append((seq, decision))
                }
                seq += 1
            }
            try RawStatement.insert(db, into: "transactions", columns: ["seq", "id", "workspace_id", "kind", "decision_id", "created_at", "reverses", "detail"], rows: transactions) { insert, row in
                insert.bind(row.seq)
                insert.bind(row.transaction.id)
                insert.bind(row.transaction.workspaceId)
                insert.bind(row.transaction.kind.rawValue)
                insert.bind(row.transaction.decisionId)
                insert.bind(row.transaction.atMillis)
                insert.bind(row.transaction.reverses)
                insert.bind(row.transaction.detail)
            }
            try RawStatement.insert(db, into: "postings", columns: ["transaction_seq", "account_id", "unit", "amount_micros"], rows: postings) { insert, row in
                insert.bind(row.seq)
                insert.bind(row.posting.account.description)
                insert.bind(row.posting.unit.rawValue)
                insert.bind(row.posting.amount.micros)
            }
            try RawStatement.insert(db, into: "decisions", columns: ["seq"] + SQLiteLedger.decisionColumns, values: ["?"] + SQLiteLedger.decisionValues,
                                   rows: decisions) { insert, row in
                insert.bind(row.seq)
                SQLiteLedger.bindDecision(&insert, row.decision)
            }
            nextSeq = seq
            pendingRows.removeAll(keepingCapacity: true)
        }
        for pending in pendingEvents {
            try SQLiteStore.appendEvents(db, workspaceId: pending.workspaceId, pending.events, atMillis: pending.atMillis)
        }
        pendingEvents.removeAll(keepingCapacity: true)
        for start in pendingAttempts {
            for statement in AutoTopupRows.open(start) { try db.run(statement) }
        }
        pendingAttempts.removeAll()
        try holds.write(db)
        if !dirty.isEmpty {
            var setBalance = try RawStatement(db, sql: "UPDATE accounts SET balance_micros = ? WHERE id = ?")
            var setPeriod = try RawStatement(db, sql: """
                UPDATE workspaces SET period_start = ?, period_end = ?, period_used_micros = ?, next_expiry_at = ?, decision_head = ?, next_hold_expiry_at = ?,
                    rollover = ?
                WHERE id = ?
                """)
            for id in dirty {
                guard let state = workspaces[id] else { continue }
                setBalance.bind(state.wallet.micros)
                setBalance.bind(AccountRef.wallet(id).description)
                try setBalance.step()
                setBalance.bind(state.allowance.micros)
                setBalance.bind(AccountRef.allowance(id).description)
                try setBalance.step()
                let held = (allowance: state.heldAllowance, credits: state.heldCredits)
                if !(storedHeld[id].map { $0 == held } ?? false) {
                    setBalance.bind(state.heldAllowance.micros)
                    setBalance.bind(AccountRef(kind: .heldAllowance, workspaceId: id).description)
                    try setBalance.step()
                    setBalance.bind(state.heldCredits.micros)
                    setBalance.bind(AccountRef(kind: .heldCredits, workspaceId: id).description)
                    try setBalance.step()
                    storedHeld[id] = held
                }
                setPeriod.bind(state.period.start)
                setPeriod.bind(state.period.end)
                setPeriod.bind(state.periodUsed.micros)
                setPeriod.bind(state.nextExpiryAtMillis)
                setPeriod.bind(state.decisionHead)
                setPeriod.bind(state.nextHoldExpiryAtMillis)
                setPeriod.bind(state.rollover.encoded)
                setPeriod.bind(id)
                try setPeriod.step()
            }
            dirty.removeAll(keepingCapacity: true)
        }
        if !dirtyGrants.isEmpty {
            var setRemaining = try RawStatement(db, sql: "UPDATE credit_grants SET remaining_micros = ? WHERE id = ?")
            for (id, remaining) in dirtyGrants {
                setRemaining.bind(remaining.micros)
                setRemaining.bind(id)
                try setRemaining.step()
            }
            dirtyGrants.removeAll(keepingCapacity: true)
        }
        if !budgets.dirty.isEmpty {
            var setUsed = try RawStatement(db, sql: "UPDATE budgets SET used_micros = ?, period_start = ? WHERE workspace_id = ? AND scope = ?")
            for key in budgets.dirty {
                guard let stored = budgets.stored(key) else { continue }
                setUsed.bind(stored.budget.used.micros)
                setUsed.bind(stored.periodStart)
                setUsed.bind(key.workspaceId)
                setUsed.bind(key.scope.description)
                try setUsed.step()
            }
            budgets.markWritten()
        }
        if !systemDeltas.isEmpty {
            var addBalance = try RawStatement(db, sql: "UPDATE accounts SET balance_micros = balance_micros + ? WHERE id = ?")
            for (kind, delta) in systemDeltas where delta != 0 {
                addBalance.bind(delta)
                addBalance.bind(AccountRef.system(kind).description)
                try addBalance.step()
            }
            systemDeltas.removeAll(keepingCapacity: true)
        }
    }

    /// Forgets everything, written or not: after a failed batch, or before and after a
    /// write that does not go through the cache.
    func invalidate() {
        workspaces.removeAll(keepingCapacity: true)
        costs.removeAll(keepingCapacity: true)
        grants.removeAll(keepingCapacity: true)
        budgets.removeAll()
        holds.removeAll()
        storedHeld.removeAll(keepingCapacity: true)
        dirty.removeAll(keepingCapacity: true)
        dirtyGrants.removeAll(keepingCapacity: true)
        systemDeltas.removeAll(keepingCapacity: true)
        systemBalances = nil
        pendingRows.removeAll(keepingCapacity: true)
        pendingEvents.removeAll(keepingCapacity: true)
        pendingAttempts.removeAll()
        nextSeq = nil
    }
}

