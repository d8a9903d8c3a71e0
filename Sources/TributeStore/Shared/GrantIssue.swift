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
        let (transaction, grant) = try Kernel.grant(draft, workspaceId: workspaceId, grantId: grantId, transactionId: Identifier.make("txn"), nowMillis: nowMillis)
        self.transaction = transaction
        let transactionView = TransactionView(
            id: transaction.id, workspaceId: workspaceId, kind: transaction.kind.rawValue, createdAtMillis: nowMillis, decisionId: nil,
            postings: transaction.postings.map { ($0.account.description, $0.unit.rawValue, $0.amount) })
        let terms = GrantTerms(category: draft.category, priority: grant.priority, costBasisCents: grant.costBasisCents, effectiveAtMillis: grant.effectiveAtMillis)
        view = CreditGrantView(id: grantId, workspaceId: workspaceId, amount: draft.amount, remaining: draft.amount, expiresAtMillis: draft.expiresAt,
                               note: draft.note, createdAtMillis: nowMillis, terms: terms, transaction: transactionView)
        insert = GrantRows.insert(id: grantId, workspaceId: workspaceId, amount: draft.amount, expiresAt: draft.expiresAt, note: draft.note,
                                  terms: terms, transactionId: transaction.id, nowMillis: nowMillis)
    }
}
