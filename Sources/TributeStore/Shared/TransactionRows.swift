import TributeCore

/// The `transactions` and `postings` tables as both stores read them (the writers bind their
/// own rows). A posting names its transaction by `seq` on SQLite and by `id` on PostgreSQL,
/// so the postings' queries are each backend's; their rows decode here.
enum TransactionRows {
    /// The columns `transaction` reads, in its order.
    static let columns = "seq, id, workspace_id, kind, created_at, decision_id, reverses"

    /// The workspace's rows before `beforeSeq`, newest first: `limit + 1`, so that the page
    /// knows whether another follows.
    static func page(workspaceId: String, beforeSeq: Int64, limit: Int) -> StoreStatement {
        StoreStatement("SELECT \(columns) FROM transactions WHERE workspace_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
                       [.text(workspaceId), .int(beforeSeq), .int(Int64(limit) + 1)])
    }

    /// One row by id.
    static func one(id: String) -> StoreStatement {
        StoreStatement("SELECT \(columns) FROM transactions WHERE id = ?", [.text(id)])
    }

    /// A row of `columns`, with its order number; postings are read apart (`posting`).
    static func transaction(_ columns: inout some ColumnReader) throws -> (seq: Int64, item: TransactionView) {
        let seq = try columns.int()
        return (seq, TransactionView(
            id: try columns.text(), workspaceId: try columns.optionalText(), kind: try columns.text(), createdAtMillis: try columns.int(),
            decisionId: try columns.optionalText(), postings: [], reverses: try columns.optionalText()))
    }

    /// The columns `posting` reads, in its order.
    static let postingColumns = "account_id, unit, amount_micros"

    /// A row of `postingColumns`.
    static func posting(_ columns: inout some ColumnReader) throws -> (account: String, unit: String, amount: Amount) {
        (try columns.text(), try columns.text(), try columns.amount())
    }
}
