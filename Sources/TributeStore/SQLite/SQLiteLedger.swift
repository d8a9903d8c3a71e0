import GRDB
import TributeCore

/// Ledger writes shared by every mutation: appending balanced transactions, rolling periods
/// over and expiring grants. All run inside the writer's transaction.
enum SQLiteLedger {
    /// A workspace's row, its plan's and its four balances, in one read.
    static let workspaceSQL = """
        SELECT \(WorkspaceRows.columns(of: "w")), \(PlanRows.names.map { "p.\($0)" }.joined(separator: ", ")),
               (SELECT balance_micros FROM accounts WHERE id = 'workspace:' || w.id || ':wallet'),
               (SELECT balance_micros FROM accounts WHERE id = 'workspace:' || w.id || ':allowance'),
               (SELECT balance_micros FROM accounts WHERE id = 'workspace:' || w.id || ':held_allowance'),
               (SELECT balance_micros FROM accounts WHERE id = 'workspace:' || w.id || ':held_credits')
        FROM workspaces w JOIN plans p ON p.id = w.plan_id WHERE w.id = ?
        """

    /// - Throws: `TributeError.workspaceNotFound`; `StoreFault.unknownValue` for a stored
    ///   status, policy or date Tribute never writes.
    static func loadWorkspace(_ db: Database, id: String) throws -> WorkspaceState {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: workspaceSQL), arguments: [id]) else {
            throw TributeError.workspaceNotFound(id)
        }
        var columns = SQLiteColumns(row)
        var planColumns = SQLiteColumns(row, from: WorkspaceRows.names.count)
        var state = try WorkspaceRows.state(&columns) { _ in try PlanRows.plan(&planColumns) }
        var balances = SQLiteColumns(row, from: WorkspaceRows.names.count + PlanRows.names.count)
        state.wallet = try balances.amount()
        state.allowance = try balances.amount()
        state.heldAllowance = try balances.amount()
        state.heldCredits = try balances.amount()
        return state
    }

    /// One plan. - Throws: `StoreFault.unknownValue` for a policy Tribute never writes.
    static func plan(_ db: Database, id: String) throws -> Plan? {
        try db.one(PlanRows.one(id: id), PlanRows.plan)
    }

    /// Appends a balanced transaction and moves the balances of its accounts, with the
    /// system accounts' netting after it when they would otherwise pass the bound.
    /// The schema's CHECK on workspace accounts makes an overdraft fail the whole job.
    /// With `movingBalances: false` only the rows are written and the caller owns the
    /// balance change (the hot path, which writes balances once per batch).
    /// - Throws: `TributeError.amountTooLarge` when a balance would pass `Amount.max`.
    @discardableResult
    static func append(_ db: Database, _ transaction: LedgerTransaction, id: String, workspaceId: String?, decisionId: String?, atMillis: Int64, movingBalances: Bool = true,
                       detail: String? = nil) throws -> Int64 {
        var netting: LedgerTransaction?
        if movingBalances && transaction.postings.contains(where: { $0.account.workspaceId == nil }) {
            netting = try systemBalances(db).settling(transaction.postings).netting
        }
        let seq = try insert(db, transaction, id: id, workspaceId: workspaceId, decisionId: decisionId, atMillis: atMillis, movingBalances: movingBalances, detail: detail)
        if let netting { try insert(db, netting, id: Identifier.make("txn"), workspaceId: nil, decisionId: nil, atMillis: atMillis, movingBalances: true) }
        return seq
    }

    /// Appends a transaction the kernel built, moving its balances.
    static func append(_ db: Database, _ pending: PendingTransaction) throws {
        guard let transaction = try? LedgerTransaction(kind: pending.kind, postings: pending.postings) else {
            preconditionFailure("the kernel builds only balanced transactions")
        }
        try append(db, transaction, id: pending.id, workspaceId: pending.workspaceId, decisionId: pending.decisionId, atMillis: pending.atMillis, detail: pending.detail)
    }

    /// Writes what the kernel decided outside the hot path (a reversal): its transactions
    /// as settled (netting included), its decisions, and the workspace, grants, budgets and
    /// holds as the kernel left them (the hold accounts move with the postings).
    static func persist(_ db: Database, _ effects: LedgerEffects) throws {
        for pending in effects.transactions {
            guard let transaction = try? LedgerTransaction(kind: pending.kind, postings: pending.postings) else {
                preconditionFailure("the kernel builds only balanced transactions")
            }
            try insert(db, transaction, id: pending.id, workspaceId: pending.workspaceId, decisionId: pending.decisionId, atMillis: pending.atMillis,
                       reverses: pending.reverses, movingBalances: true, writingRows: !pending.carriedByDecision, detail: pending.detail)
        }
        for decision in effects.decisions {
            var insert = try RawStatement(db, sql: "INSERT INTO decisions (seq, \(decisionColumns.joined(separator: ", "))) VALUES (?, \(decisionValues.joined(separator: ", ")))")
            insert.bind(try nextSeq(db))
            bindDecision(&insert, decision)
            try insert.step()
        }
        let state = effects.workspace
        try db.execute(sql: """
            UPDATE workspaces SET period_start = ?, period_end = ?, period_used_micros = ?, next_expiry_at = ?, decision_head = ?, next_hold_expiry_at = ?,
                rollover = ? WHERE id = ?
            """, arguments: [state.period.start, state.period.end, state.periodUsed.micros, state.nextExpiryAtMillis, state.decisionHead,
                             state.nextHoldExpiryAtMillis, state.rollover.encoded, state.id])
        if let grants = effects.grants { try writeGrants(db, grants) }
        for stored in effects.budgets {
            try db.execute(sql: "UPDATE budgets SET used_micros = ?, period_start = ? WHERE workspace_id = ? AND scope = ?",
                           arguments: [stored.budget.used.micros, stored.periodStart, state.id, stored.budget.scope.description])
        }
        for event in effects.events { try SQLiteStore.appendEvents(db, workspaceId: state.id, [event], atMillis: effects.decision.record.createdAtMillis) }
        for hold in effects.holds { try db.run(HoldRows.upsert(hold, atMillis: effects.decision.record.createdAtMillis)) }
    }

    /// Writes one transaction's rows and, with `movingBalances`, its balances: workspace
    /// accounts checked against the bound here, system accounts by `settling` before.
    @discardableResult
    private static func insert(_ db: Database, _ transaction: LedgerTransaction, id: String, workspaceId: String?, decisionId: String?, atMillis: Int64,
                               reverses: String? = nil, movingBalances: Bool, writingRows: Bool = true, detail: String? = nil) throws -> Int64 {
        // A transfer its decision carries (`DecisionTransfer`) has no rows: only its balances move.
        let seq = writingRows ? try nextSeq(db) : 0
        if writingRows {
            try db.cachedStatement(sql: "INSERT INTO transactions (seq, id, workspace_id, kind, decision_id, created_at, reverses, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
                .execute(arguments: [seq, id, workspaceId, transaction.kind.rawValue, decisionId, atMillis, reverses, detail])
        }
        let insert = try db.cachedStatement(sql: "INSERT INTO postings (transaction_seq, account_id, unit, amount_micros) VALUES (?, ?, ?, ?)")
        let read = try db.cachedStatement(sql: "SELECT balance_micros FROM accounts WHERE id = ?")
        let update = try db.cachedStatement(sql: "UPDATE accounts SET balance_micros = ? WHERE id = ?")
        for posting in transaction.postings {
            let account = posting.account.description
            if writingRows { try insert.execute(arguments: [seq, account, posting.unit.rawValue, posting.amount.micros]) }
            guard movingBalances else { continue }
            guard let balance = try Int64.fetchOne(read, arguments: [account]) else { throw StoreFault.missingAccount(account) }
            let (next, overflow) = balance.addingReportingOverflow(posting.amount.micros)
            guard !overflow else { throw StoreFault.corruptAmount(account) }
            if posting.account.workspaceId != nil { _ = try posting.applied(to: Amount(micros: balance)) }
            try update.execute(arguments: [next, account])
        }
        return seq
    }

    /// The `seq` of the next row of `transactions` or `decisions`: the two are numbered from
    /// one sequence (since v14), so that a workspace's ledger, rows and the transfers its
    /// decisions carry, lists in the order it was written (`TransferRows.page`).
    static func nextSeq(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: """
            SELECT MAX(COALESCE((SELECT MAX(seq) FROM decisions), 0), COALESCE((SELECT MAX(seq) FROM transactions), 0)) + 1
            """)) ?? 1
    }

    /// Every system account's balance.
    static func systemBalances(_ db: Database) throws -> SystemBalances {
        var balances: [AccountKind: Int64] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT kind, balance_micros FROM accounts WHERE workspace_id IS NULL") {
            guard let kind = AccountKind(rawValue: try row.decode(atIndex: 0)) else { throw StoreFault.unknownValue("accounts.kind", try row.decode(atIndex: 0)) }
            balances[kind] = try row.decode(atIndex: 1)
        }
        return SystemBalances(micros: balances)
    }

    /// Starts the period that contains `nowMillis` if the stored one has ended, by the
    /// kernel's rule (`WorkspaceState.rollPeriod`).
    static func rollPeriodIfNeeded(_ db: Database, _ state: inout WorkspaceState, nowMillis: Int64) throws {
        guard let rolls = state.rollPeriod(nowMillis: nowMillis, transactionId: Identifier.make("txn")) else { return }
        for roll in rolls { try append(db, roll) }
        try db.cachedStatement(sql: "UPDATE workspaces SET period_start = ?, period_end = ?, period_used_micros = 0, rollover = ? WHERE id = ?")
            .execute(arguments: [state.period.start, state.period.end, state.rollover.encoded, state.id])
    }

    /// Expires the grants whose expiry has passed, by the kernel's rule
    /// (`WorkspaceState.expireGrants`).
    static func expireGrantsIfNeeded(_ db: Database, _ state: inout WorkspaceState, nowMillis: Int64) throws {
        guard state.hasExpiredGrants(nowMillis: nowMillis) else { return }
        var grants = OpenGrants(try openGrants(db, workspaceId: state.id))
        if let expiry = state.expireGrants(&grants, nowMillis: nowMillis, transactionId: Identifier.make("txn")) { try append(db, expiry) }
        try writeGrants(db, grants)
        try db.execute(sql: "UPDATE workspaces SET next_expiry_at = ? WHERE id = ?", arguments: [state.nextExpiryAtMillis, state.id])
    }

    /// Stores the remaining credits of the grants the kernel changed.
    static func writeGrants(_ db: Database, _ grants: OpenGrants) throws {
        let update = try db.cachedStatement(sql: "UPDATE credit_grants SET remaining_micros = ? WHERE id = ?")
        for (id, remaining) in grants.changed.sorted(by: { $0.key < $1.key }) { try update.execute(arguments: [remaining.micros, id]) }
    }

    /// Recomputes and stores the soonest expiry among grants with credits left.
    static func refreshNextExpiry(_ db: Database, workspaceId: String) throws -> Int64? {
        let next = OpenGrants(try openGrants(db, workspaceId: workspaceId)).nextExpiryAtMillis
        try db.execute(sql: "UPDATE workspaces SET next_expiry_at = ? WHERE id = ?", arguments: [next, workspaceId])
        return next
    }

    /// The workspace's grants with credits left, in creation order (`GrantRows.open`).
    static func openGrants(_ db: Database, workspaceId: String) throws -> [GrantBalance] {
        try db.all(GrantRows.open(workspaceId: workspaceId), GrantRows.balance)
    }

    /// The workspace's grants with credits left and the grants named (even used up), in
    /// creation order: what giving credits back to the grants they came from needs.
    static func grants(_ db: Database, workspaceId: String, including ids: [String]) throws -> [GrantBalance] {
        try db.all(GrantRows.open(workspaceId: workspaceId, including: ids), GrantRows.balance)
    }

    /// A decision's `hash` as hex text: stored as 32 bytes since v14, as text before.
    static func hashText(_ column: String) -> String {
        "CASE WHEN typeof(\(column)) = 'blob' THEN lower(hex(\(column))) ELSE \(column) END"
    }

    /// The columns `bindDecision` binds, in its order.
    static let decisionColumns = [
        "id", "workspace_seq", "created_at", "action_type", "success", "reason", "actions_charged_micros",
        "from_allowance_micros", "debit_micros", "user_id", "agent_id", "run_id", "cost_version", "context", "transaction_id", "explanation", "kind", "hash",
    ]

    /// The SQL of each of `decisionColumns`' values: the workspace is bound by its id.
    static let decisionValues = decisionColumns.map { $0 == "workspace_seq" ? DecisionRows.workspaceSeq : "?" }

    /// Binds one decision row in the order of `decisionColumns`, into `decisionValues`.
    static func bindDecision(_ insert: inout RawStatement, _ decision: ChainedDecision) {
        let record = decision.record
        insert.bind(record.id)
        insert.bind(record.workspaceId)
        insert.bind(record.createdAtMillis)
        insert.bind(record.actionType)
        insert.bind(record.success)
        insert.bind(record.reason.rawValue)
        insert.bind(record.actionsCharged.micros)
        insert.bind(record.fromAllowance.micros)
        insert.bind(record.creditsDebited.micros)
        insert.bind(record.userId)
        insert.bind(record.agentId)
        insert.bind(record.runId)
        insert.bind(record.costVersion)
        insert.bind(record.context)
        // Derived on reading, stored nowhere: a carried transfer's id, and the previous hash
        // (the hash before in the workspace's chain, which `hash` already commits to).
        insert.bind(record.carriesTransfer ? nil : record.transactionId)
        insert.bind(record.explanation)
        insert.bind(record.kind.rawValue)
        // The hash as its 32 bytes, not 64 hex digits (`hashText` reads either back).
        insert.bind(blob: decision.digest)
    }
}

/// Faults that mean the database is not as the code expects: bugs, not caller errors.
enum StoreFault: Error {
    case missingAccount(String)
    /// Stored amounts that no accepted request could have produced (a sum past `Amount.max`).
    case corruptAmount(String)
    /// A stored value that is none of those the code writes (column, value).
    case unknownValue(String, String)
}
