/// The one rounding rule of Tribute.
///
/// A product of two fixed-point amounts (a base cost by a multiplier, overage actions by a
/// rate), a token-priced cost (rates per million tokens times token counts) and a share of an
/// amount (the credits a partial refund takes back) can all fall between two micro-units.
/// Each is computed exactly, then rounded **up** to the next micro-unit, once: a charge is
/// never less than its exact value, so no call is free because it is small, and splitting
/// one call into many never costs less (SPEC §3.6, §6). Every such value goes through
/// `Amount.roundedUp(_:per:)`; nothing else rounds.
extension Amount {
    /// `self × factor`, rounded up to a micro-unit; `nil` when the result would exceed
    /// `Amount.max` or either operand is negative.
    public func multiplied(by factor: Amount) -> Amount? {
        scaled(numerator: factor.micros, denominator: Amount.scale)
    }

    /// `self × numerator / denominator`, rounded up to a micro-unit; `nil` for a negative
    /// amount or numerator, a denominator that is not positive, or a result above `Amount.max`.
    public func scaled(numerator: Int64, denominator: Int64) -> Amount? {
        guard micros >= 0, numerator >= 0 else { return nil }
        return Amount.roundedUp(Int128(micros) * Int128(numerator), per: denominator)
    }

    /// `value / denominator` micro-units, rounded up: the rule itself. `nil` for a negative
    /// value, a denominator that is not positive, or a result above `Amount.max`.
    public static func roundedUp(_ value: Int128, per denominator: Int64) -> Amount? {
        guard value >= 0, denominator > 0 else { return nil }
        let divisor = Int128(denominator)
        let (quotient, remainder) = value.quotientAndRemainder(dividingBy: divisor)
        let micros = remainder == 0 ? quotient : quotient + 1
        guard micros <= Int128(Amount.max.micros) else { return nil }
        return Amount(micros: Int64(micros))
    }
}
