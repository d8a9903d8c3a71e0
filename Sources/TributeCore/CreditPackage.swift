/// A package of prepaid credits sold through Stripe (SPEC §5): admins edit the catalog, a
/// purchase charges `priceCents` and, once Stripe reports the payment, grants `credits`.
public struct CreditPackage: Sendable, Equatable {
    public var id: String
    public var name: String
    public var credits: Amount
    /// Integer cents in `currency`, as Stripe's `amount` takes them.
    public var priceCents: Int64
    /// ISO 4217, lower case, as Stripe spells it.
    public var currency: String
    /// Retired packages stay for the purchases that name them but are no longer sold.
    public var active: Bool

    public init(id: String, name: String, credits: Amount, priceCents: Int64, currency: String = "usd", active: Bool = true) {
        self.id = id
        self.name = name
        self.credits = credits
        self.priceCents = priceCents
        self.currency = currency
        self.active = active
    }

    /// Stripe's bounds for a card charge in USD: at least $0.50, at most $999,999.99.
    public static let priceCentsRange: ClosedRange<Int64> = 50...99_999_999

    /// The part of the credits a refund of `refundedCents` takes back: proportional to the
    /// refunded share of the price, rounded up to a micro-unit by `Amount`'s one rule.
    /// - Returns: `nil` when the refund is negative or more than was paid.
    public func creditsFor(refundedCents: Int64) -> Amount? {
        CreditPackage.share(of: credits, refundedCents: refundedCents, priceCents: priceCents)
    }

    /// `credits` times `refundedCents / priceCents`, by `Amount`'s one rounding rule; all of
    /// them for a full refund. - Returns: `nil` outside `0...priceCents`.
    public static func share(of credits: Amount, refundedCents: Int64, priceCents: Int64) -> Amount? {
        guard refundedCents >= 0, refundedCents <= priceCents, priceCents > 0 else { return nil }
        if refundedCents == priceCents { return credits }
        return credits.scaled(numerator: refundedCents, denominator: priceCents)
    }
}

extension DefaultCatalog {
    /// SPEC §5's packages, seeded by the first migration and editable afterwards.
    public static let creditPackages: [CreditPackage] = [
        CreditPackage(id: "starter", name: "Starter", credits: Amount(units: 100), priceCents: 1_000),
        CreditPackage(id: "professional", name: "Professional", credits: Amount(units: 1_000), priceCents: 8_000),
        CreditPackage(id: "business", name: "Business", credits: Amount(units: 10_000), priceCents: 70_000),
        CreditPackage(id: "enterprise", name: "Enterprise", credits: Amount(units: 100_000), priceCents: 600_000),
    ]
}
