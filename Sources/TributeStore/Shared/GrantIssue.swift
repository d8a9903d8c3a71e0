import TributeCore

/// An admin credit grant as both stores issue it: the kernel's transaction
/// (`Kernel.grant`), the `credit_grants` row, and the answer.
struct GrantIssue: Sendable {
    let transaction: PendingTransaction
    let view: CreditGrantView
    let insert: StoreStatement

    /// - Throws: `invalidValue` for an expiry that is not in the future.
    init(workspaceId: String, draft: CreditGrantDraft, nowMillis: Int64) throws {
        let grantId = Identifier.make("grant")
        let (transaction, _) = try Kernel.grant(draft, workspaceId: workspaceId, grantId: grantId, transactionId: Identifier.make("txn"), nowMillis: nowMillis)
        self.transaction = transaction
        let transactionView = TransactionView(
            id: transaction.id, workspaceId: workspaceId, kind: transaction.kind.rawValue, createdAtMillis: nowMillis, decisionId: nil,
            postings: transaction.postings.map { ($0.account.description, $0.unit.rawValue, $0.amount) })
        view = CreditGrantView(id: grantId, workspaceId: workspaceId, amount: draft.amount, remaining: draft.amount, expiresAtMillis: draft.expiresAt,
                               note: draft.note, createdAtMillis: nowMillis, transaction: transactionView)
        insert = StoreStatement("""
            INSERT INTO credit_grants (id, workspace_id, amount_micros, remaining_micros, expires_at, note, transaction_id, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, [.text(grantId), .text(workspaceId), .int(draft.amount.micros), .int(draft.amount.micros), .int(draft.expiresAt), .text(draft.note),
                  .text(transaction.id), .int(nowMillis)])
    }
}

extension WorkspaceView {
    /// The view of a workspace as the kernel projects it for a read (`WorkspaceState.projected`).
    init(_ state: WorkspaceState) {
        self.init(
            id: state.id, name: state.name, planId: state.plan.id, status: state.status, anchorDate: state.anchorDate, period: state.period,
            remainingAllowance: state.allowance, remainingBalance: state.wallet, heldAmount: .zero, createdAtMillis: state.createdAtMillis,
            lowBalanceThreshold: state.lowBalanceThreshold)
    }
}

/// The writes to a grant both stores share.
enum GrantRows {
    /// Ends a grant now (`PaymentStep.Effect.closesGrant`): an earlier expiry stays.
    static func close(grantId: String, nowMillis: Int64) -> StoreStatement {
        StoreStatement("UPDATE credit_grants SET expires_at = ? WHERE id = ? AND (expires_at IS NULL OR expires_at > ?)",
                       [.int(nowMillis), .text(grantId), .int(nowMillis)])
    }
}

extension BudgetRows {
    /// When each budget of the workspace was created: what a reversal checks its budgets by.
    static func createdAt(workspaceId: String) -> StoreStatement {
        StoreStatement("SELECT scope, created_at FROM budgets WHERE workspace_id = ?", [.text(workspaceId)])
    }

    static func createdAt(_ columns: inout some ColumnReader) throws -> (scope: String, createdAtMillis: Int64) {
        (try columns.text(), try columns.int())
    }

    /// `budgets` with the creation times `rows` read.
    static func dated(_ budgets: [StoredBudget], _ rows: [(scope: String, createdAtMillis: Int64)]) -> [StoredBudget] {
        let created = Dictionary(rows.map { ($0.scope, $0.createdAtMillis) }, uniquingKeysWith: { first, _ in first })
        return budgets.map { budget in
            var dated = budget
            dated.createdAtMillis = created[budget.budget.scope.description]
            return dated
        }
    }
}
