/// A credit grant's unspent part, as the wallet sees it when spending.
public struct GrantBalance: Sendable, Equatable {
    public var id: String
    public var remaining: Amount
    /// Unix milliseconds; `nil` never expires.
    public var expiresAt: Int64?

    public init(id: String, remaining: Amount, expiresAt: Int64?) {
        self.id = id
        self.remaining = remaining
        self.expiresAt = expiresAt
    }
}

/// How a wallet spends: expiring grants first, soonest expiry first, then the rest oldest
/// first (the order given).
public enum Wallet {
    /// Splits `amount` across `grants`, returning how much to take from each.
    /// `grants` must exclude expired grants and be in creation order.
    /// - Precondition: the grants hold at least `amount` in total.
    public static func allocate(_ amount: Amount, from grants: [GrantBalance]) -> [(id: String, amount: Amount)] {
        let ordered = grants.enumerated().sorted { lhs, rhs in
            switch (lhs.element.expiresAt, rhs.element.expiresAt) {
            case let (l?, r?): return l != r ? l < r : lhs.offset < rhs.offset
            case (_?, nil): return true
            case (nil, _?): return false
            case (nil, nil): return lhs.offset < rhs.offset
            }
        }
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
