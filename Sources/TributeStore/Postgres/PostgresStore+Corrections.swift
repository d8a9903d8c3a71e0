import Logging
import PostgresNIO
import TributeCore

extension PostgresStore {
    public func decision(workspaceId: String, id: String) async throws -> DecisionExplanation {
        try await read { connection in
            let logger = PostgresLedger.logger
            guard try await connection.query("SELECT 1 FROM workspaces WHERE id = \(workspaceId)", logger: logger).firstRow() != nil else {
                throw TributeError.workspaceNotFound(workspaceId)
            }
            guard let row = try await connection.query(
                "SELECT \(unescaped: PostgresRows.decisionColumns), \(unescaped: DecisionRows.previousHash()) AS prev_hash, hash FROM decisions d WHERE id = \(id) AND workspace_seq = (SELECT seq FROM workspaces WHERE id = \(workspaceId))", logger: logger
            ).firstRow() else { throw TributeError.decisionNotFound(id) }
            let (seq, record) = try PostgresRows.decision(row)
            let cells = row.makeRandomAccess()
            var transaction: TransactionView?
            if let transactionId = record.transactionId { transaction = try await PostgresStore.transactionView(connection, id: transactionId) }
            return DecisionExplanation(seq: seq, record: record, previousHash: try cells["prev_hash"].decode(String.self),
                                       hash: try cells["hash"].decode(String.self), transaction: transaction)
        }
    }

    /// A transaction with its postings, or `nil`.
    static func transactionView(_ connection: PostgresConnection, id: String) async throws -> TransactionView? {
        guard let row = try await connection.one(TransactionRows.one(id: id), TransactionRows.transaction) else {
            guard let carrier = TransferRows.carrier(transferId: id) else { return nil }
            return try await connection.one(carrier, DecisionRows.decision)?.carriedTransaction.map(TransactionView.init)
        }
        return try await withPostings(connection, [row]).first?.item
    }

    public func reverseTransaction(id: String, reason: String) async throws -> Reversal {
        let ids = Kernel.Ids.make()
        let clock = self.clock
        return try await transaction { connection in
            let logger = PostgresLedger.logger
            guard let found = try await PostgresStore.transactionView(connection, id: id) else { throw TributeError.transactionNotFound(id) }
            guard let workspaceId = found.workspaceId, let kind = LedgerTransaction.Kind(rawValue: found.kind) else {
                throw TributeError.notReversible("Transaction \(id) belongs to no workspace")
            }
            // The workspace's row lock orders this after every batch that touched it, and
            // before any second reversal of the same charge.
            let state = try await PostgresLedger.lockWorkspace(connection, id: workspaceId)
            // Read once the lock is held: the lock's wait must not make the reversal older
            // than the calls it waited for.
            let nowMillis = clock.nowMillis()
            if try await connection.query("SELECT 1 FROM transactions WHERE reverses = \(id)", logger: logger).firstRow() != nil {
                throw TributeError.alreadyReversed(id)
            }
            guard let decisionId = found.decisionId, let decisionRow = try await connection.query(
                "SELECT \(unescaped: PostgresRows.decisionColumns) FROM decisions WHERE id = \(decisionId)", logger: logger
            ).firstRow() else {
                throw TributeError.notReversible("Only charges are reversed; a \(found.kind) transaction is corrected by its own operation")
            }
            let (_, decision) = try PostgresRows.decision(decisionRow)
            let explanation = decision.chargeExplanation
            let grants = try await PostgresLedger.openGrants(connection, workspaceId: workspaceId, including: explanation?.grants.map(\.grantId) ?? [])
            var budgets: [StoredBudget] = []
            for try await row in try await connection.query(
                "SELECT \(unescaped: PostgresRows.budgetColumns) FROM budgets WHERE workspace_id = \(workspaceId) AND scope = ANY(\(explanation?.budgets.map(\.scope.description) ?? []))",
                logger: logger
            ) { budgets.append(try PostgresRows.budget(row).1) }
            budgets = BudgetRows.dated(budgets, try await connection.all(BudgetRows.createdAt(workspaceId: workspaceId), BudgetRows.createdAt))
            let postings = try found.postings.map { posting in
                guard let account = AccountRef(parsing: posting.account) else { throw StoreFault.unknownValue("postings.account_id", posting.account) }
                return Posting(account: account, amount: posting.amount)
            }
            var heldAtMillis: Int64?
            if let heldAt = HoldRows.createdAt(of: decision) { heldAtMillis = try await connection.one(heldAt, HoldRows.createdAt) }
            let charge = Kernel.Charge(
                transaction: PendingTransaction(try LedgerTransaction(kind: kind, postings: postings), id: id, workspaceId: workspaceId,
                                                decisionId: decisionId, atMillis: found.createdAtMillis),
                decision: decision, heldAtMillis: heldAtMillis)
            let (effects, _) = try Kernel.reverse(
                charge, reason: reason, state: state, grants: OpenGrants(grants), budgets: budgets,
                system: try await PostgresLedger.systemTotals(connection), ids: ids, nowMillis: nowMillis)
            // The batch's own writer persists the effects: one way to write them.
            var writes = PostgresBatchWrites(nowMillis: nowMillis)
            writes.add(effects)
            writes.finish(effects.workspace, grants: effects.grants ?? OpenGrants([]))
            for budget in effects.budgets { writes.budget(KeyRef(workspaceId: workspaceId, key: budget.budget.scope.description), budget) }
            try await writes.execute(connection, logger: logger)
            guard let transaction = try await PostgresStore.transactionView(connection, id: effects.decision.record.transactionId ?? "") else {
                preconditionFailure("the reversal was just written")
            }
            return Reversal(transaction: transaction, decision: effects.decision.record)
        }
    }

    public func recordCheckpoint() async throws -> LedgerCheckpoint {
        let nowMillis = clock.nowMillis()
        return try await transaction { connection in
            let logger = PostgresLedger.logger
            // One statement's snapshot: every head it reads is committed with its decisions.
            var heads: [LedgerCheckpoint.Head] = []
            for try await (id, head) in try await connection.query("SELECT id, decision_head FROM workspaces ORDER BY id", logger: logger).decode((String, String).self) {
                heads.append(LedgerCheckpoint.Head(workspaceId: id, hash: head))
            }
            let checkpoint = LedgerCheckpoint(createdAtMillis: nowMillis, heads: heads)
            let previousText = try await connection.query("SELECT heads FROM ledger_checkpoints ORDER BY seq DESC LIMIT 1", logger: logger)
                .firstRow()?.decode(String.self)
            let previous = previousText.flatMap(LedgerCheckpoint.init(text:))
            // Nothing moved: the previous checkpoint still names every head.
            if let previous, checkpoint.isUnchanged(since: previous) { return previous }
            try await connection.query("""
                INSERT INTO ledger_checkpoints (digest, created_at, heads) VALUES (\(checkpoint.digest), \(nowMillis), \(checkpoint.text)) ON CONFLICT (digest) DO NOTHING
                """, logger: logger)
            for head in checkpoint.moved(since: previous) {
                try await PostgresStore.appendEvents(connection, workspaceId: head.workspaceId, [checkpoint.event(for: head)], atMillis: nowMillis)
            }
            return checkpoint
        }
    }
}
