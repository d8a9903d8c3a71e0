import TributeCore

/// The `credit_packages` table as both stores read and write it.
enum CreditPackageRows {
    /// Every package, cheapest first, retired ones included.
    static let all = StoreStatement("SELECT id, name, credits_micros, price_cents, currency, active FROM credit_packages ORDER BY price_cents, id")

    /// The package `id`, unless it is unknown or retired.
    static func active(id: String) -> StoreStatement {
        StoreStatement("SELECT id, name, credits_micros, price_cents, currency, active FROM credit_packages WHERE id = ? AND active = ?", [.text(id), .bool(true)])
    }

    /// A package from a row of `all` or `active`.
    static func package(_ columns: inout some ColumnReader) throws -> CreditPackage {
        CreditPackage(
            id: try columns.text(), name: try columns.text(), credits: try columns.amount(), priceCents: try columns.int(),
            currency: try columns.text(), active: try columns.bool())
    }

    /// Creates `package` or replaces the package of its id.
    static func put(_ package: CreditPackage, nowMillis: Int64) -> StoreStatement {
        StoreStatement("""
            INSERT INTO credit_packages (id, name, credits_micros, price_cents, currency, active, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET name = excluded.name, credits_micros = excluded.credits_micros, price_cents = excluded.price_cents,
                currency = excluded.currency, active = excluded.active, updated_at = excluded.updated_at
            """, [
                .text(package.id), .text(package.name), .int(package.credits.micros), .int(package.priceCents), .text(package.currency),
                .bool(package.active), .int(nowMillis),
            ])
    }
}
