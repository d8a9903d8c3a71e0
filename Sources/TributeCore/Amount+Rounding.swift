/// The one rounding rule of Tribute.
///
/// Multiplying two fixed-point amounts (a base cost by a multiplier, overage actions by a
/// rate) gives up to twelve decimals; the result is rounded to the nearest micro-unit, and a
/// result exactly halfway is rounded up (away from zero). Every product in pricing goes
/// through `Amount.multiplied(by:)`; the one other product, a share of an amount (the credits
/// a partial refund takes back), goes through `Amount.scaled(numerator:denominator:)` with
/// the same rule. These two are the only places a value is ever rounded.
extension Amount {
    /// `self × factor`, rounded half up to a micro-unit; `nil` when the result would exceed
    /// `Amount.max` or either operand is negative.
    public func multiplied(by factor: Amount) -> Amount? {
        scaled(numerator: factor.micros, denominator: Amount.scale)
    }

    /// `self × numerator / denominator`, rounded half up to a micro-unit; `nil` for a
    /// negative amount or numerator, a denominator that is not positive, or a result above
    /// `Amount.max`.
    public func scaled(numerator: Int64, denominator: Int64) -> Amount? {
        guard micros >= 0, numerator >= 0, denominator > 0 else { return nil }
        let product = micros.multipliedFullWidth(by: numerator)
        let (low, carry) = product.low.addingReportingOverflow(UInt64(denominator / 2))
        let high = product.high + (carry ? 1 : 0)
        // Past half the divisor the quotient would not fit in 63 bits (nor under `Amount.max`).
        guard high < denominator / 2 else { return nil }
        let (quotient, _) = denominator.dividingFullWidth((high: high, low: low))
        let result = Amount(micros: quotient)
        return result <= Amount.max ? result : nil
    }
}
