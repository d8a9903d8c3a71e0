import GRDB
import TributeCore

extension SQLiteStore {
    public func decision(workspaceId: String, id: String) async throws -> DecisionExplanation {
        try await pool.read { db in
            try SQLiteStore.requireWorkspace(db, workspaceId)
            let columns = SQLiteStore.decisionColumnCount
            guard let row = try Row.fetchOne(db, sql: "SELECT seq, \(SQLiteStore.decisionColumns), \(DecisionRows.previousHash(hashText: SQLiteLedger.hashText)), \(SQLiteLedger.hashText("hash")) FROM decisions d WHERE id = ? AND workspace_seq = \(DecisionRows.workspaceSeq)",
                                             arguments: [id, workspaceId]) else { throw TributeError.decisionNotFound(id) }
            let record = try SQLiteStore.decision(from: row, offset: 1)
            let transaction = try record.transactionId.flatMap { try SQLiteStore.transactionView(db, id: $0) }
            return DecisionExplanation(seq: try row.decode(atIndex: 0), record: record, previousHash: try row.decode(atIndex: columns + 1),
                                       hash: try row.decode(atIndex: columns + 2), transaction: transaction)
        }
    }

    /// A transaction with its postings, or `nil`.
    static func transactionView(_ db: Database, id: String) throws -> TransactionView? {
        guard let row = try db.one(TransactionRows.one(id: id), TransactionRows.transaction) else {
            guard let carrier = TransferRows.carrier(transferId: id) else { return nil }
            return try db.one(carrier, DecisionRows.decision)?.carriedTransaction.map(TransactionView.init)
        }
        return try withPostings(db, row.item, seq: row.seq)
    }

    public func reverseTransaction(id: String, reason: String) async throws -> Reversal {
        let ids = Kernel.Ids.make()
        let clock = self.clock
        // Outside the hot path: the writer flushes its batch state first, so the database
        // is the whole truth here, and "reversed already" is read exactly. The time is read
        // in the job, as authorize reads it: a reversal is never older than what came first.
        return try await write { db in
            let nowMillis = clock.nowMillis()
            guard let original = try SQLiteStore.transactionView(db, id: id) else { throw TributeError.transactionNotFound(id) }
            guard let workspaceId = original.workspaceId, let kind = LedgerTransaction.Kind(rawValue: original.kind) else {
                throw TributeError.notReversible("Transaction \(id) belongs to no workspace")
            }
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM transactions WHERE reverses = ?", arguments: [id]) == true { throw TributeError.alreadyReversed(id) }
            guard let decisionId = original.decisionId, let decisionRow = try Row.fetchOne(
                db, sql: "SELECT \(SQLiteStore.decisionColumns) FROM decisions WHERE id = ?", arguments: [decisionId]) else {
                throw TributeError.notReversible("Only charges are reversed; a \(original.kind) transaction is corrected by its own operation")
            }
            let decision = try SQLiteStore.decision(from: decisionRow, offset: 0)
            let state = try SQLiteLedger.loadWorkspace(db, id: workspaceId)
            let drawn = decision.chargeExplanation?.grants.map(\.grantId) ?? []
            let grants = try SQLiteLedger.grants(db, workspaceId: workspaceId, including: drawn)
            let scopes = decision.chargeExplanation?.budgets.map(\.scope) ?? []
            let budgets = BudgetRows.dated(try scopes.compactMap { try SQLiteStore.loadStoredBudget(db, workspaceId: workspaceId, scope: $0) },
                                           try db.all(BudgetRows.createdAt(workspaceId: workspaceId), BudgetRows.createdAt))
            let charge = Kernel.Charge(
                transaction: PendingTransaction(
                    try LedgerTransaction(kind: kind, postings: original.postings.map { posting in
                        guard let account = AccountRef(parsing: posting.account) else { throw StoreFault.unknownValue("postings.account_id", posting.account) }
                        return Posting(account: account, amount: posting.amount)
                    }),
                    id: id, workspaceId: workspaceId, decisionId: decisionId, atMillis: original.createdAtMillis),
                decision: decision, heldAtMillis: try HoldRows.createdAt(of: decision).flatMap { try db.one($0, HoldRows.createdAt) })
            let (effects, _) = try Kernel.reverse(
                charge, reason: reason, state: state, grants: OpenGrants(grants), budgets: budgets, system: try SQLiteLedger.systemBalances(db), ids: ids, nowMillis: nowMillis)
            try SQLiteLedger.persist(db, effects)
            guard let transaction = try SQLiteStore.transactionView(db, id: effects.decision.record.transactionId ?? "") else { preconditionFailure("the reversal was just written") }
            return Reversal(transaction: transaction, decision: effects.decision.record)
        }
    }

    public func recordCheckpoint() async throws -> LedgerCheckpoint {
        let nowMillis = clock.nowMillis()
        return try await write { db in
            let heads = try Row.fetchAll(db, sql: "SELECT id, decision_head FROM workspaces ORDER BY id")
                .map { LedgerCheckpoint.Head(workspaceId: try $0.decode(atIndex: 0), hash: try $0.decode(atIndex: 1)) }
            let checkpoint = LedgerCheckpoint(createdAtMillis: nowMillis, heads: heads)
            let previous = try String.fetchOne(db, sql: "SELECT heads FROM ledger_checkpoints ORDER BY seq DESC LIMIT 1").flatMap(LedgerCheckpoint.init(text:))
            // Nothing moved: the previous checkpoint still names every head.
            if let previous, checkpoint.isUnchanged(since: previous) { return previous }
            try db.execute(sql: "INSERT INTO ledger_checkpoints (digest, created_at, heads) VALUES (?, ?, ?) ON CONFLICT(digest) DO NOTHING",
                           arguments: [checkpoint.digest, nowMillis, checkpoint.text])
            for head in checkpoint.moved(since: previous) {
                try SQLiteStore.appendEvents(db, workspaceId: head.workspaceId, [checkpoint.event(for: head)], atMillis: nowMillis)
            }
            return checkpoint
        }
    }
}
