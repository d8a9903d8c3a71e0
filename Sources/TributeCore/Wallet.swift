/// A credit grant's unspent part, as the wallet sees it when spending, with what places it
/// in the draw order (`GrantOrder`).
public struct GrantBalance: Sendable, Equatable {
    public var id: String
    public var remaining: Amount
    /// Unix milliseconds; `nil` never expires.
    public var expiresAt: Int64?
    /// 0–100, lower first (`GrantTerms`).
    public var priority: Int
    /// What the whole grant cost, in cents, over `amount`: its cost per credit.
    public var costBasisCents: Int64
    /// What the grant held when made.
    public var amount: Amount
    public var effectiveAtMillis: Int64

    public init(id: String, remaining: Amount, expiresAt: Int64?, priority: Int = GrantTerms.defaultPriority, costBasisCents: Int64 = 0,
                amount: Amount? = nil, effectiveAtMillis: Int64 = 0) {
        self.id = id
        self.remaining = remaining
        self.expiresAt = expiresAt
        self.priority = priority
        self.costBasisCents = costBasisCents
        self.amount = amount ?? remaining
        self.effectiveAtMillis = effectiveAtMillis
    }
}

/// How a wallet spends: in the one draw order (`GrantOrder`).
public enum Wallet {
    /// Splits `amount` across `grants`, returning how much to take from each.
    /// `grants` must exclude expired grants and be in creation order (then id).
    /// - Precondition: the grants hold at least `amount` in total.
    public static func allocate(_ amount: Amount, from grants: [GrantBalance]) -> [(id: String, amount: Amount)] {
        let ordered = grants.enumerated().sorted { lhs, rhs in GrantOrder.precedes(lhs.element, lhs.offset, rhs.element, rhs.offset) }
        var left = amount
        var takes: [(id: String, amount: Amount)] = []
        for (_, grant) in ordered where !left.isZero && !grant.remaining.isZero {
            let take = min(left, grant.remaining)
            takes.append((grant.id, take))
            left -= take
        }
        precondition(left.isZero, "allocate called with more than the grants hold")
        return takes
    }
}
