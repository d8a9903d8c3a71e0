import TributeCore

/// The ledger's transactions as both stores list them: the rows of `transactions` (grants,
/// purchases, period rolls, commits, releases, reversals, netting) and the transfers that
/// decisions carry in their own row (`DecisionTransfer`: every debit and hold), merged
/// newest first.
enum TransferRows {
    /// The condition of a decision row that carries its transfer, as
    /// `DecisionRecord.deriveTransferId` states it: approved, moving something, with the
    /// stored transaction id empty (older decisions name their rows).
    static let carriedCondition = """
        transaction_id IS NULL AND success AND (debit_micros <> 0 OR from_allowance_micros <> 0 OR explanation LIKE '%\(DecisionTransfer.givenBackMarker)%')
        """

    /// The workspace's decisions that carry a transfer, before `beforeSeq`, newest first, as
    /// `DecisionRows.numbered` reads them.
    static func carried(workspaceId: String, beforeSeq: Int64, limit: Int) -> StoreStatement {
        StoreStatement(
            "SELECT seq, \(DecisionRows.columns) FROM decisions WHERE workspace_seq = \(DecisionRows.workspaceSeq) AND seq < ? AND \(carriedCondition) ORDER BY seq DESC LIMIT ?",
            [.text(workspaceId), .int(beforeSeq), .int(Int64(limit) + 1)])
    }

    /// The decision that carries the transfer `transferId`, if the id is one a decision's
    /// gives, as `DecisionRows.decision` reads it.
    static func carrier(transferId: String) -> StoreStatement? {
        guard let decisionId = DecisionTransfer.decisionId(transferId: transferId) else { return nil }
        return StoreStatement("SELECT \(DecisionRows.columns) FROM decisions WHERE id = ? AND \(carriedCondition)", [.text(decisionId)])
    }

    /// The first `limit` of the two lists merged newest first, by `seq` — rows of
    /// `transactions` and decisions are numbered from one sequence (SQLite v14, PostgreSQL
    /// v16), and only decisions written since carry transfers — with the cursor after them
    /// when either list has more.
    /// - Parameters:
    ///   - rows: up to `limit + 1` rows of `transactions`, newest first, with their `seq`.
    ///   - carried: up to `limit + 1` decisions that carry a transfer, newest first.
    static func merged(rows: [(seq: Int64, item: TransactionView)], carried: [(seq: Int64, item: DecisionRecord)], limit: Int) -> Page<TransactionView> {
        var merged: [(seq: Int64, item: TransactionView)] = []
        var (row, decision) = (0, 0)
        while merged.count <= limit, row < rows.count || decision < carried.count {
            if row == rows.count || (decision < carried.count && carried[decision].seq > rows[row].seq) {
                if let transfer = carried[decision].item.carriedTransaction { merged.append((carried[decision].seq, TransactionView(transfer))) }
                decision += 1
            } else {
                merged.append(rows[row])
                row += 1
            }
        }
        return page(merged, limit: limit)
    }
}
