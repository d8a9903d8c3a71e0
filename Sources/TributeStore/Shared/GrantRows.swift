import TributeCore

/// The `credit_grants` table as both stores read and change it.
enum GrantRows {
    /// The workspace's grants with credits left and the grants named (even used up), in
    /// creation order, as `balance` reads them: what spending, expiring and giving credits
    /// back to the grants they came from need.
    static func open(workspaceId: String, including ids: [String] = []) -> StoreStatement {
        var statement = StoreStatement("SELECT id, remaining_micros, expires_at FROM credit_grants WHERE workspace_id = ? AND (remaining_micros > 0",
                                       [.text(workspaceId)])
        if !ids.isEmpty {
            statement.sql += " OR id IN (" + ids.map { _ in "?" }.joined(separator: ", ") + ")"
            statement.values += ids.map { .text($0) }
        }
        statement.sql += ") ORDER BY created_at, id"
        return statement
    }

    /// A grant's balance from a row of `open`.
    static func balance(_ columns: inout some ColumnReader) throws -> GrantBalance {
        GrantBalance(id: try columns.text(), remaining: try columns.amount(), expiresAt: try columns.optionalInt())
    }

    /// Ends a grant now (`PaymentStep.Effect.closesGrant`): an earlier expiry stays.
    static func close(grantId: String, nowMillis: Int64) -> StoreStatement {
        StoreStatement("UPDATE credit_grants SET expires_at = ? WHERE id = ? AND (expires_at IS NULL OR expires_at > ?)",
                       [.int(nowMillis), .text(grantId), .int(nowMillis)])
    }
}
