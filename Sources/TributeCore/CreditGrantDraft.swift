/// An admin's grant of credits.
public struct CreditGrantDraft: Sendable {
    public var amount: Amount
    /// Unix milliseconds; `nil` never expires.
    public var expiresAt: Int64?
    public var note: String?
    /// `promotional` unless the admin says otherwise (SPEC §3.9).
    public var category: GrantCategory
    public var priority: Int
    public var costBasisCents: Int64
    /// Unix milliseconds, at or before now; `nil`: now.
    public var effectiveAt: Int64?

    public init(amount: Amount, expiresAt: Int64?, note: String?, category: GrantCategory = .promotional, priority: Int = GrantTerms.defaultPriority,
                costBasisCents: Int64 = 0, effectiveAt: Int64? = nil) {
        self.amount = amount
        self.expiresAt = expiresAt
        self.note = note
        self.category = category
        self.priority = priority
        self.costBasisCents = costBasisCents
        self.effectiveAt = effectiveAt
    }
}
