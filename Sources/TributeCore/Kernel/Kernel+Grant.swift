extension Kernel {
    /// An admin credit grant: `draft.amount` from `system:grants` into the wallet, held as a
    /// grant that expires at `draft.expiresAt` (Unix milliseconds) or never, in the draw
    /// order its terms give it (`GrantOrder`).
    /// - Throws: `invalidValue` when the expiry is not in the future, the effective time is
    ///   in the future, the priority is outside 0–100 or the cost basis negative.
    public static func grant(_ draft: CreditGrantDraft, workspaceId: String, grantId: String, transactionId: String, nowMillis: Int64) throws(TributeError) -> (transaction: PendingTransaction, grant: GrantBalance) {
        if let expiresAt = draft.expiresAt, expiresAt <= nowMillis { throw .invalidValue("expiresAt must be in the future") }
        if let effectiveAt = draft.effectiveAt, effectiveAt > nowMillis { throw .invalidValue("effectiveAt may not be in the future: a grant's credits are spendable when it is made") }
        guard GrantTerms.priorityRange.contains(draft.priority) else { throw .invalidValue("priority must be from 0 to 100") }
        guard draft.costBasisCents >= 0 else { throw .invalidValue("costBasisCents may not be negative") }
        guard let transfer = try? LedgerTransaction.transfer(.creditGrant, draft.amount, from: .system(.grants), to: .wallet(workspaceId)) else {
            throw .invalidValue("amount must be more than zero")
        }
        return (PendingTransaction(transfer, id: transactionId, workspaceId: workspaceId, decisionId: nil, atMillis: nowMillis),
                GrantBalance(id: grantId, remaining: draft.amount, expiresAt: draft.expiresAt, priority: draft.priority, costBasisCents: draft.costBasisCents,
                             amount: draft.amount, effectiveAtMillis: draft.effectiveAt ?? nowMillis))
    }
}
