/// The one rounding rule of Tribute.
///
/// Multiplying two fixed-point amounts (a base cost by a multiplier, overage actions by a
/// rate) gives up to twelve decimals; the result is rounded to the nearest micro-unit, and a
/// result exactly halfway is rounded up (away from zero). Every product in pricing goes
/// through `Amount.multiplied(by:)`, so this is the only place a value is ever rounded.
extension Amount {
    /// `self × factor`, rounded half up to a micro-unit; `nil` when the result would exceed
    /// `Amount.max` or either operand is negative.
    public func multiplied(by factor: Amount) -> Amount? {
        guard micros >= 0, factor.micros >= 0 else { return nil }
        let product = micros.multipliedFullWidth(by: factor.micros)
        let scale = Amount.scale
        // Half-up: add half the divisor before the truncating division.
        let (low, carry) = product.low.addingReportingOverflow(UInt64(scale / 2))
        let high = product.high + (carry ? 1 : 0)
        guard high < scale / 2 else { return nil }
        let (quotient, _) = scale.dividingFullWidth((high: high, low: low))
        let result = Amount(micros: quotient)
        return result <= Amount.max ? result : nil
    }
}
