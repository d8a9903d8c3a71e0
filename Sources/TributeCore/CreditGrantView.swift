/// A credit grant and the transaction that made it.
public struct CreditGrantView: Sendable {
    public var id: String
    public var workspaceId: String
    public var amount: Amount
    public var remaining: Amount
    public var expiresAtMillis: Int64?
    public var note: String?
    public var createdAtMillis: Int64
    public var terms: GrantTerms
    /// `nil` in lists, which show grants without their transactions.
    public var transaction: TransactionView?

    public init(id: String, workspaceId: String, amount: Amount, remaining: Amount, expiresAtMillis: Int64?, note: String?, createdAtMillis: Int64,
                terms: GrantTerms, transaction: TransactionView?) {
        self.id = id
        self.workspaceId = workspaceId
        self.amount = amount
        self.remaining = remaining
        self.expiresAtMillis = expiresAtMillis
        self.note = note
        self.createdAtMillis = createdAtMillis
        self.terms = terms
        self.transaction = transaction
    }
}
