import TributeCore

/// The `decisions` table as both stores read it (the writers bind their own rows).
enum DecisionRows {
    /// A decision names its workspace by the workspace's `seq` (SQLite v15, PostgreSQL v17):
    /// a small integer in the row and in each of its workspace indexes, where the id took
    /// up to 64 bytes in each. This finds the `seq` of a workspace id bound in its place.
    static let workspaceSeq = "(SELECT seq FROM workspaces WHERE id = ?)"

    /// The workspace id of the decision row being read (its column `workspace_seq`); for a
    /// `seq` no workspace has (only an edit of the database writes one), `#` and the number,
    /// which no workspace id is: `ledger verify` reports the chain or the account it breaks.
    static let workspaceId = "COALESCE((SELECT w.id FROM workspaces w WHERE w.seq = workspace_seq), '#' || workspace_seq)"

    /// The columns `decision` reads, in its order.
    static let columns = """
        id, \(workspaceId), created_at, action_type, reason, actions_charged_micros, from_allowance_micros, debit_micros,
        user_id, agent_id, run_id, cost_version, context, transaction_id, explanation, kind
        """

    /// The hash before a decision row `d` in its workspace's chain: stored on rows written
    /// before the lean shape, derived from the row before otherwise (`ChainAudit`).
    /// - Parameter hashText: this backend's text of a stored hash column.
    static func previousHash(hashText: (String) -> String = { $0 }) -> String {
        """
        COALESCE(d.prev_hash, (SELECT \(hashText("b.hash")) FROM decisions b WHERE b.workspace_seq = d.workspace_seq AND b.seq < d.seq ORDER BY b.seq DESC LIMIT 1), '\(DecisionRecord.genesisHash)')
        """
    }

    /// The number of columns `columns` names.
    static let columnCount = 16

    /// A decision from a row of `columns`.
    /// - Throws: `StoreFault.unknownValue` for a reason or kind Tribute never writes.
    static func decision(_ columns: inout some ColumnReader) throws -> DecisionRecord {
        var record = DecisionRecord(
            id: try columns.text(), workspaceId: try columns.text(), createdAtMillis: try columns.int(), actionType: try columns.text(),
            reason: try columns.value(DecisionReason.self, column: "decisions.reason"), actionsCharged: try columns.amount(),
            fromAllowance: try columns.amount(), creditsDebited: try columns.amount(), userId: try columns.optionalText(),
            agentId: try columns.optionalText(), runId: try columns.optionalText(), costVersion: try columns.int(),
            context: try columns.optionalText(), transactionId: try columns.optionalText(), explanation: try columns.optionalText())
        record.kind = try columns.value(DecisionKind.self, column: "decisions.kind")
        record.deriveTransferId()
        return record
    }

    /// A decision with its order number, from a row of `seq` and `columns`.
    static func numbered(_ columns: inout some ColumnReader) throws -> (seq: Int64, item: DecisionRecord) {
        (try columns.int(), try decision(&columns))
    }

    /// A page of the workspace's decisions, newest first, before `beforeSeq`, approved or
    /// denied ones only when `approved` says which (a reversal is neither), as `numbered`
    /// reads them: `limit + 1` rows, so that the page knows whether another follows.
    ///
    /// Only a call or a hold can be denied: a hold's commit, release and expiry are steps of
    /// an approved hold, listed with the approved and never as denials.
    ///
    /// The denied are read through the partial index `decisions_denied_by_workspace`,
    /// `(workspace_seq, seq) WHERE NOT success` (on both backends), so that a workspace with
    /// millions of approvals and a few denials reads the few; it costs space only for the
    /// decisions that are not approvals. A planner uses a partial index only when the query
    /// states the index's condition itself, so `NOT success` is written out here, not bound:
    /// keep the two the same (`DeniedDecisionsIndexTests` checks both plans).
    static func page(workspaceId: String, beforeSeq: Int64, limit: Int, approved: Bool?) -> StoreStatement {
        var statement = StoreStatement("SELECT seq, \(columns) FROM decisions WHERE workspace_seq = \(workspaceSeq) AND seq < ?", [.text(workspaceId), .int(beforeSeq)])
        switch approved {
        case true?:
            statement.sql += " AND success = ? AND reason <> ?"
            statement.values += [.bool(true), .text(DecisionReason.reversed.rawValue)]
        case false?:
            statement.sql += " AND \(deniedIndexCondition) AND reason <> ? AND kind IN (?, ?)"
            statement.values += [.text(DecisionReason.reversed.rawValue), .text(DecisionKind.call.rawValue), .text(DecisionKind.hold.rawValue)]
        case nil:
            break
        }
        statement.sql += " ORDER BY seq DESC LIMIT ?"
        statement.values.append(.int(Int64(limit) + 1))
        return statement
    }

    /// The condition of the partial index `decisions_denied_by_workspace`, as the
    /// migrations that create it write it.
    static let deniedIndexCondition = "NOT success"

    /// The workspace's decisions after `afterSeq`, oldest first, at most `limit`, as
    /// `numbered` reads them.
    static func since(workspaceId: String, afterSeq: Int64, limit: Int) -> StoreStatement {
        StoreStatement(
            "SELECT seq, \(columns) FROM decisions WHERE workspace_seq = \(workspaceSeq) AND seq > ? ORDER BY seq LIMIT ?",
            [.text(workspaceId), .int(afterSeq), .int(Int64(limit))])
    }
}
