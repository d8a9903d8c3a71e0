import TributeCore

/// The `credit_grants` table as both stores read and change it.
enum GrantRows {
    /// The workspace's grants with credits left and the grants named (even used up), in
    /// creation order, as `balance` reads them: what spending, expiring and giving credits
    /// back to the grants they came from need.
    static func open(workspaceId: String, including ids: [String] = []) -> StoreStatement {
        var statement = StoreStatement("""
            SELECT id, remaining_micros, expires_at, priority, cost_basis_cents, amount_micros, COALESCE(effective_at, created_at)
            FROM credit_grants WHERE workspace_id = ? AND (remaining_micros > 0
            """, [.text(workspaceId)])
        if !ids.isEmpty {
            statement.sql += " OR id IN (" + ids.map { _ in "?" }.joined(separator: ", ") + ")"
            statement.values += ids.map { .text($0) }
        }
        statement.sql += ") ORDER BY created_at, id"
        return statement
    }

    /// A grant's balance from a row of `open`.
    static func balance(_ columns: inout some ColumnReader) throws -> GrantBalance {
        GrantBalance(id: try columns.text(), remaining: try columns.amount(), expiresAt: try columns.optionalInt(), priority: Int(clamping: try columns.int()),
                     costBasisCents: try columns.int(), amount: try columns.amount(), effectiveAtMillis: try columns.int())
    }

    /// A new grant's row. Its effective time is stored only when it differs from its
    /// creation (NULL reads as `created_at`).
    static func insert(id: String, workspaceId: String, amount: Amount, expiresAt: Int64?, note: String?, terms: GrantTerms, transactionId: String,
                       nowMillis: Int64) -> StoreStatement {
        StoreStatement("""
            INSERT INTO credit_grants (id, workspace_id, amount_micros, remaining_micros, expires_at, note, transaction_id, created_at,
                category, priority, cost_basis_cents, effective_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, [.text(id), .text(workspaceId), .int(amount.micros), .int(amount.micros), .int(expiresAt), .text(note), .text(transactionId), .int(nowMillis),
                  .text(terms.category.rawValue), .int(Int64(terms.priority)), .int(terms.costBasisCents),
                  .int(terms.effectiveAtMillis == nowMillis ? nil : terms.effectiveAtMillis)])
    }

    /// The grant of a paid purchase (or auto top-up): `paid`, its price as the cost basis,
    /// never expiring.
    static func purchased(_ purchase: Purchase, amount: Amount, id: String, transactionId: String, nowMillis: Int64) -> StoreStatement {
        insert(id: id, workspaceId: purchase.workspaceId, amount: amount, expiresAt: nil, note: "purchase \(purchase.id)",
               terms: GrantTerms(category: .paid, costBasisCents: purchase.amountCents, effectiveAtMillis: nowMillis), transactionId: transactionId,
               nowMillis: nowMillis)
    }

    /// The workspace's grants, newest first (by creation, then id), after the grant
    /// `afterId` (the last of an earlier page, of this workspace: `cursorExists`), through
    /// `credit_grants_by_workspace`: `limit + 1` rows, so that the page knows whether
    /// another follows.
    static func page(workspaceId: String, afterId: String?, limit: Int) -> StoreStatement {
        var statement = StoreStatement("SELECT \(viewColumns) FROM credit_grants WHERE workspace_id = ?", [.text(workspaceId)])
        if let afterId {
            statement.sql += " AND (created_at, id) < (SELECT created_at, id FROM credit_grants WHERE id = ? AND workspace_id = ?)"
            statement.values += [.text(afterId), .text(workspaceId)]
        }
        statement.sql += " ORDER BY created_at DESC, id DESC LIMIT ?"
        statement.values.append(.int(Int64(limit) + 1))
        return statement
    }

    private static let viewColumns = """
        id, workspace_id, amount_micros, remaining_micros, expires_at, note, created_at, category, priority, cost_basis_cents, \
        COALESCE(effective_at, created_at)
        """

    /// The grant `id`, as `view` reads it.
    static func one(id: String) -> StoreStatement {
        StoreStatement("SELECT \(viewColumns) FROM credit_grants WHERE id = ?", [.text(id)])
    }

    /// A page from the rows of `page`: the first `limit`, and the next page's cursor (the
    /// last one's id) when the extra row came.
    static func pageOf(_ rows: [CreditGrantView], limit: Int) -> Page<CreditGrantView> {
        let shown = Array(rows.prefix(limit))
        return Page(items: shown, nextCursor: rows.count > limit ? shown.last?.id : nil)
    }

    /// Whether `cursor` names a grant of the workspace: a list's cursor is its last grant.
    static func cursorExists(_ cursor: String, workspaceId: String) -> StoreStatement {
        StoreStatement("SELECT 1 FROM credit_grants WHERE id = ? AND workspace_id = ?", [.text(cursor), .text(workspaceId)])
    }

    /// Sets a grant's priority; - Returns: through `runChangingRows`, whether it exists.
    static func setPriority(_ priority: Int, grantId: String, workspaceId: String) -> StoreStatement {
        StoreStatement("UPDATE credit_grants SET priority = ? WHERE id = ? AND workspace_id = ?", [.int(Int64(priority)), .text(grantId), .text(workspaceId)])
    }

    /// A grant from a row of `page`.
    static func view(_ columns: inout some ColumnReader) throws -> CreditGrantView {
        let id = try columns.text(), workspaceId = try columns.text(), amount = try columns.amount(), remaining = try columns.amount()
        let expiresAt = try columns.optionalInt(), note = try columns.optionalText(), createdAt = try columns.int()
        let category = try columns.value(GrantCategory.self, column: "credit_grants.category")
        let terms = GrantTerms(category: category, priority: Int(clamping: try columns.int()), costBasisCents: try columns.int(), effectiveAtMillis: try columns.int())
        return CreditGrantView(id: id, workspaceId: workspaceId, amount: amount, remaining: remaining, expiresAtMillis: expiresAt, note: note,
                               createdAtMillis: createdAt, terms: terms, transaction: nil)
    }

    /// Ends a grant now (`PaymentStep.Effect.closesGrant`): an earlier expiry stays.
    static func close(grantId: String, nowMillis: Int64) -> StoreStatement {
        StoreStatement("UPDATE credit_grants SET expires_at = ? WHERE id = ? AND (expires_at IS NULL OR expires_at > ?)",
                       [.int(nowMillis), .text(grantId), .int(nowMillis)])
    }
}
