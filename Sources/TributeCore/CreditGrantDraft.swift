/// An admin's grant of credits.
public struct CreditGrantDraft: Sendable {
    public var amount: Amount
    /// Unix milliseconds; `nil` never expires.
    public var expiresAt: Int64?
    public var note: String?

    public init(amount: Amount, expiresAt: Int64?, note: String?) {
        self.amount = amount
        self.expiresAt = expiresAt
        self.note = note
    }
}
