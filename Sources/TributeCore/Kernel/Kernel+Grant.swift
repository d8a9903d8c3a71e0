extension Kernel {
    /// An admin credit grant: `draft.amount` from `system:grants` into the wallet, held as a
    /// grant that expires at `draft.expiresAt` (Unix milliseconds) or never.
    /// - Throws: `invalidValue` when the expiry is not in the future.
    public static func grant(_ draft: CreditGrantDraft, workspaceId: String, grantId: String, transactionId: String, nowMillis: Int64) throws(TributeError) -> (transaction: PendingTransaction, grant: GrantBalance) {
        if let expiresAt = draft.expiresAt, expiresAt <= nowMillis { throw .invalidValue("expiresAt must be in the future") }
        guard let transfer = try? LedgerTransaction.transfer(.creditGrant, draft.amount, from: .system(.grants), to: .wallet(workspaceId)) else {
            throw .invalidValue("amount must be more than zero")
        }
        return (PendingTransaction(transfer, id: transactionId, workspaceId: workspaceId, decisionId: nil, atMillis: nowMillis),
                GrantBalance(id: grantId, remaining: draft.amount, expiresAt: draft.expiresAt))
    }
}
