import TributeCore

/// The bounds an admin's prices keep, the same in the API and the dashboard.
enum PriceLimits {
    /// The largest base cost (actions) or overage rate (credits per action) an admin may set.
    static var maxUnitPrice: Amount { Amount(units: 1_000_000) }
    /// A plan's monthly price, in cents.
    static var planPriceCents: ClosedRange<Int64> { 0...100_000_000_000 }
}
