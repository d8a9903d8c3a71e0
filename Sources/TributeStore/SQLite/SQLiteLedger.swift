import GRDB
import TributeCore

/// Ledger writes shared by every mutation: appending balanced transactions, rolling periods
/// over and expiring grants. All run inside the writer's transaction.
enum SQLiteLedger {
    static let workspaceSQL = """
        SELECT w.id, w.name, w.status, w.anchor_date, w.period_start, w.period_end, w.period_used_micros,
               w.next_expiry_at, w.created_at, p.id, p.name, p.monthly_allowance_micros, p.overage_policy,
               p.overage_rate_micros, p.price_cents,
               (SELECT balance_micros FROM accounts WHERE id = 'workspace:' || w.id || ':wallet'),
               (SELECT balance_micros FROM accounts WHERE id = 'workspace:' || w.id || ':allowance'),
               w.low_balance_threshold_micros
        FROM workspaces w JOIN plans p ON p.id = w.plan_id WHERE w.id = ?
        """

    /// - Throws: `TributeError.workspaceNotFound`.
    static func loadWorkspace(_ db: Database, id: String) throws -> WorkspaceState {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: workspaceSQL), arguments: [id]) else {
            throw TributeError.workspaceNotFound(id)
        }
        let plan = Plan(
            id: try row.decode(atIndex: 9), name: try row.decode(atIndex: 10), monthlyAllowance: Amount(micros: try row.decode(atIndex: 11)),
            overagePolicy: OveragePolicy(rawValue: try row.decode(atIndex: 12)) ?? .block, overageRate: Amount(micros: try row.decode(atIndex: 13)), priceCents: try row.decode(atIndex: 14))
        return WorkspaceState(
            id: try row.decode(atIndex: 0), name: try row.decode(atIndex: 1), status: WorkspaceStatus(rawValue: try row.decode(atIndex: 2)) ?? .suspended,
            anchorDate: CivilDate(parsing: try row.decode(atIndex: 3)) ?? CivilDate(year: 1970, month: 1, day: 1),
            period: BillingPeriod(start: try row.decode(atIndex: 4), end: try row.decode(atIndex: 5)), periodUsed: Amount(micros: try row.decode(atIndex: 6)),
            nextExpiryAtMillis: try row.decode(atIndex: 7), createdAtMillis: try row.decode(atIndex: 8), plan: plan,
            wallet: Amount(micros: try row.decode(atIndex: 15)), allowance: Amount(micros: try row.decode(atIndex: 16)),
            lowBalanceThreshold: (try row.decode(atIndex: 17) as Int64?).map(Amount.init(micros:)))
    }

    /// Appends a balanced transaction and moves the balances of its accounts, with the
    /// system accounts' netting after it when they would otherwise pass the bound.
    /// The schema's CHECK on workspace accounts makes an overdraft fail the whole job.
    /// With `movingBalances: false` only the rows are written and the caller owns the
    /// balance change (the hot path, which writes balances once per batch).
    /// - Throws: `TributeError.amountTooLarge` when a balance would pass `Amount.max`.
    @discardableResult
    static func append(_ db: Database, _ transaction: LedgerTransaction, id: String, workspaceId: String?, decisionId: String?, atMillis: Int64, movingBalances: Bool = true) throws -> Int64 {
        var netting: LedgerTransaction?
        if movingBalances && transaction.postings.contains(where: { $0.account.workspaceId == nil }) {
            netting = try systemBalances(db).settling(transaction.postings).netting
        }
        let seq = try insert(db, transaction, id: id, workspaceId: workspaceId, decisionId: decisionId, atMillis: atMillis, movingBalances: movingBalances)
        if let netting { try insert(db, netting, id: Identifier.make("txn"), workspaceId: nil, decisionId: nil, atMillis: atMillis, movingBalances: true) }
        return seq
    }

    /// Writes one transaction's rows and, with `movingBalances`, its balances: workspace
    /// accounts checked against the bound here, system accounts by `settling` before.
    private static func insert(_ db: Database, _ transaction: LedgerTransaction, id: String, workspaceId: String?, decisionId: String?, atMillis: Int64, movingBalances: Bool) throws -> Int64 {
        try db.cachedStatement(sql: "INSERT INTO transactions (id, workspace_id, kind, decision_id, created_at) VALUES (?, ?, ?, ?, ?)")
            .execute(arguments: [id, workspaceId, transaction.kind.rawValue, decisionId, atMillis])
        let seq = db.lastInsertedRowID
        let insert = try db.cachedStatement(sql: "INSERT INTO postings (transaction_seq, account_id, unit, amount_micros) VALUES (?, ?, ?, ?)")
        let read = try db.cachedStatement(sql: "SELECT balance_micros FROM accounts WHERE id = ?")
        let update = try db.cachedStatement(sql: "UPDATE accounts SET balance_micros = ? WHERE id = ?")
        for posting in transaction.postings {
            let account = posting.account.description
            try insert.execute(arguments: [seq, account, posting.unit.rawValue, posting.amount.micros])
            guard movingBalances else { continue }
            guard let balance = try Int64.fetchOne(read, arguments: [account]) else { throw StoreFault.missingAccount(account) }
            let (next, overflow) = balance.addingReportingOverflow(posting.amount.micros)
            guard !overflow else { throw StoreFault.corruptAmount(account) }
            if posting.account.workspaceId != nil { _ = try posting.applied(to: Amount(micros: balance)) }
            try update.execute(arguments: [next, account])
        }
        return seq
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

    /// Starts the period that contains `nowMillis` if the stored one has ended: unused
    /// allowance lapses and the plan's allowance is issued afresh, in one transaction.
    static func rollPeriodIfNeeded(_ db: Database, _ state: inout WorkspaceState, nowMillis: Int64) throws {
        guard let transaction = try AuthorizeStep.rollPeriod(&state, nowMillis: nowMillis) else { return }
        if let transaction {
            try append(db, transaction, id: Identifier.make("txn"), workspaceId: state.id, decisionId: nil, atMillis: nowMillis)
        }
        try db.cachedStatement(sql: "UPDATE workspaces SET period_start = ?, period_end = ?, period_used_micros = 0 WHERE id = ?")
            .execute(arguments: [state.period.start, state.period.end, state.id])
    }

    /// Moves the unspent part of every grant whose expiry has passed out of the wallet.
    static func expireGrantsIfNeeded(_ db: Database, _ state: inout WorkspaceState, nowMillis: Int64) throws {
        guard let next = state.nextExpiryAtMillis, next <= nowMillis else { return }
        let rows = try Row.fetchAll(db, sql: "SELECT id, remaining_micros FROM credit_grants WHERE workspace_id = ? AND remaining_micros > 0 AND expires_at <= ?", arguments: [state.id, nowMillis])
        let total = try rows.reduce(Amount.zero) { sum, row in
            guard let next = sum.adding(Amount(micros: try row.decode(atIndex: 1))) else { throw StoreFault.corruptAmount("credit_grants.remaining_micros") }
            return next
        }
        if !total.isZero {
            let transaction = try LedgerTransaction.transfer(.grantExpiry, total, from: .wallet(state.id), to: .system(.expired))
            try append(db, transaction, id: Identifier.make("txn"), workspaceId: state.id, decisionId: nil, atMillis: nowMillis)
            for row in rows {
                try db.execute(sql: "UPDATE credit_grants SET remaining_micros = 0 WHERE id = ?", arguments: [try row.decode(atIndex: 0) as String])
            }
        }
        state.wallet -= total
        state.nextExpiryAtMillis = try refreshNextExpiry(db, workspaceId: state.id)
    }

    /// Recomputes and stores the soonest expiry among grants with credits left.
    static func refreshNextExpiry(_ db: Database, workspaceId: String) throws -> Int64? {
        let next = try Int64.fetchOne(db, sql: "SELECT MIN(expires_at) FROM credit_grants WHERE workspace_id = ? AND remaining_micros > 0 AND expires_at IS NOT NULL", arguments: [workspaceId])
        try db.execute(sql: "UPDATE workspaces SET next_expiry_at = ? WHERE id = ?", arguments: [next, workspaceId])
        return next
    }

    /// The workspace's grants with credits left, in creation order.
    static func openGrants(_ db: Database, workspaceId: String) throws -> [GrantBalance] {
        try Row.fetchAll(
            db.cachedStatement(sql: "SELECT id, remaining_micros, expires_at FROM credit_grants WHERE workspace_id = ? AND remaining_micros > 0 ORDER BY created_at, id"),
            arguments: [workspaceId]
        ).map { GrantBalance(id: try $0.decode(atIndex: 0), remaining: Amount(micros: try $0.decode(atIndex: 1)), expiresAt: try $0.decode(atIndex: 2)) }
    }

    /// The hash of the newest decision, or the genesis hash.
    static func lastDecisionHash(_ db: Database) throws -> String {
        try String.fetchOne(db.cachedStatement(sql: "SELECT hash FROM decisions ORDER BY seq DESC LIMIT 1")) ?? DecisionRecord.genesisHash
    }

    /// The columns `bindDecision` binds, in its order.
    static let decisionColumns = [
        "id", "workspace_id", "created_at", "action_type", "success", "reason", "actions_charged_micros",
        "from_allowance_micros", "debit_micros", "user_id", "agent_id", "run_id", "cost_version", "context", "transaction_id", "prev_hash", "hash",
    ]

    /// Binds one decision row, chained after `previous`, in the order of `decisionColumns`.
    static func bindDecision(_ insert: inout RawStatement, _ record: DecisionRecord, previous: String, hash: String) {
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
        insert.bind(record.transactionId)
        insert.bind(previous)
        insert.bind(hash)
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
