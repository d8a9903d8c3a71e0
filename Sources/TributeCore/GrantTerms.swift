/// What kind of credits a grant holds (SPEC §3.9): finance tells bought credits from given
/// ones, and a statement shows them apart.
public enum GrantCategory: String, Sendable, CaseIterable {
    /// Bought: a purchase or an auto top-up, with its price as the cost basis.
    case paid
    /// Given: an admin's grant, a trial, goodwill.
    case promotional
    /// Given back as credits for a charge that should not have been made.
    case refund
    /// Allowance carried over from a closed period.
    case rollover
}

/// How a grant is spent, beside its balance: where it stands in the one draw order.
public struct GrantTerms: Sendable, Equatable {
    public static let defaultPriority = 50
    public static let priorityRange: ClosedRange<Int> = 0...100

    public var category: GrantCategory
    /// 0–100, lower is spent first.
    public var priority: Int
    /// What was paid for the whole grant, in cents: a package's price for purchases and
    /// top-ups, 0 for promotional grants unless an admin says otherwise.
    public var costBasisCents: Int64
    /// Unix milliseconds from which the grant counts in the order (its creation unless
    /// given earlier; never later).
    public var effectiveAtMillis: Int64

    public init(category: GrantCategory, priority: Int = GrantTerms.defaultPriority, costBasisCents: Int64 = 0, effectiveAtMillis: Int64) {
        self.category = category
        self.priority = priority
        self.costBasisCents = costBasisCents
        self.effectiveAtMillis = effectiveAtMillis
    }
}

/// The one draw order of a workspace's grants (SPEC §3.9), the same on every backend:
/// 1. lower `priority` first;
/// 2. sooner expiry first, grants that never expire last;
/// 3. lower cost per credit first (`costBasisCents / amount`, compared exactly);
/// 4. earlier `effectiveAt`;
/// 5. earlier creation, then the smaller id (the order the backends load grants in, passed
///    as the grants' places in their list).
/// With every priority at its default, soonest expiry first still holds; among grants of
/// one expiry the cheaper credits now go first (a free promotional grant before a paid
/// one), where the oldest went first.
public enum GrantOrder {
    /// Whether `lhs`, at `lhsPlace` in creation order, is drawn before `rhs` at `rhsPlace`.
    public static func precedes(_ lhs: GrantBalance, _ lhsPlace: Int, _ rhs: GrantBalance, _ rhsPlace: Int) -> Bool {
        if lhs.priority != rhs.priority { return lhs.priority < rhs.priority }
        switch (lhs.expiresAt, rhs.expiresAt) {
        case let (l?, r?) where l != r: return l < r
        case (_?, nil): return true
        case (nil, _?): return false
        default: break
        }
        let cost = compareCostPerCredit(lhs, rhs)
        if cost != 0 { return cost < 0 }
        if lhs.effectiveAtMillis != rhs.effectiveAtMillis { return lhs.effectiveAtMillis < rhs.effectiveAtMillis }
        return lhsPlace < rhsPlace
    }

    /// −1, 0 or 1 as `lhs.costBasisCents / lhs.amount` is below, at or above `rhs`'s, by
    /// cross-multiplying in two 64-bit words: exact, never trapping. A grant of no amount
    /// (never stored) counts as free.
    static func compareCostPerCredit(_ lhs: GrantBalance, _ rhs: GrantBalance) -> Int {
        let lhsAmount = max(lhs.amount.micros, 0), rhsAmount = max(rhs.amount.micros, 0)
        let lhsCost = lhsAmount == 0 ? 0 : max(lhs.costBasisCents, 0), rhsCost = rhsAmount == 0 ? 0 : max(rhs.costBasisCents, 0)
        let left = lhsCost.multipliedFullWidth(by: rhsAmount), right = rhsCost.multipliedFullWidth(by: lhsAmount)
        if left.high != right.high { return left.high < right.high ? -1 : 1 }
        if left.low != right.low { return left.low < right.low ? -1 : 1 }
        return 0
    }
}
