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
        var product = WideSum()
        guard product.add(micros, times: numerator) else { return nil }
        return Amount.roundedUp(product, per: denominator)
    }

    /// `value / denominator` micro-units, rounded up: the rule itself. `nil` for a
    /// denominator that is not positive, or a result above `Amount.max`.
    static func roundedUp(_ value: WideSum, per denominator: Int64) -> Amount? {
        guard denominator > 0 else { return nil }
        let divisor = UInt64(denominator)
        // A quotient of 2⁶⁴ or more is past any amount (and past what the division returns).
        guard value.high < divisor else { return nil }
        let (quotient, remainder) = divisor.dividingFullWidth((high: value.high, low: value.low))
        let (micros, overflow) = quotient.addingReportingOverflow(remainder == 0 ? 0 : 1)
        guard !overflow, micros <= UInt64(Amount.max.micros) else { return nil }
        return Amount(micros: Int64(micros))
    }
}

/// A non-negative sum of products of two non-negative `Int64`s, exact in two 64-bit words:
/// what the one rounding rule divides. (Swift's `Int128` needs macOS 15; the client library,
/// which shares this code, runs on macOS 14.)
struct WideSum {
    private(set) var high: UInt64 = 0
    private(set) var low: UInt64 = 0

    /// Adds `a × b`.
    /// - Returns: `false`, adding nothing, for a negative operand or a sum past 2¹²⁸ (which
    ///   Tribute's bounds never reach: at most 6 × 10²⁷).
    mutating func add(_ a: Int64, times b: Int64) -> Bool {
        guard a >= 0, b >= 0 else { return false }
        let product = UInt64(a).multipliedFullWidth(by: UInt64(b))
        let (sumLow, carry) = low.addingReportingOverflow(product.low)
        let (partial, overflowHigh) = high.addingReportingOverflow(product.high)
        let (sumHigh, overflowCarry) = partial.addingReportingOverflow(carry ? 1 : 0)
        guard !overflowHigh, !overflowCarry else { return false }
        (high, low) = (sumHigh, sumLow)
        return true
    }
}

extension Amount {
    /// `self × fraction` in whole units, rounded **down**: a rollover's carry (SPEC §3.9),
    /// the one amount Tribute gives rather than charges, so that it is never more than its
    /// exact value. `nil` for a negative operand.
    public func wholeUnits(times fraction: Amount) -> Amount? {
        var product = WideSum()
        guard product.add(micros, times: fraction.micros) else { return nil }
        let divisor = UInt64(Amount.scale * Amount.scale)
        guard product.high < divisor else { return nil }
        let units = divisor.dividingFullWidth((high: product.high, low: product.low)).quotient
        guard units <= UInt64(Amount.max.micros / Amount.scale) else { return nil }
        return Amount(units: Int64(units))
    }
}

extension Amount {
    /// `cents × self / whole` in whole cents, rounded **down**: the revenue a paid grant of
    /// `whole` credits bought for `cents` has earned once `self` of its credits are gone
    /// (SPEC §3.9). Down, so that recognition never runs ahead of use; the grant's last
    /// credit earns the rest, so the whole earns exactly `cents`. `nil` for a negative
    /// operand or `whole` not positive.
    public func centsEarned(of whole: Amount, costCents cents: Int64) -> Int64? {
        guard whole.micros > 0, micros >= 0, cents >= 0 else { return nil }
        var product = WideSum()
        guard product.add(min(micros, whole.micros), times: cents) else { return nil }
        let divisor = UInt64(whole.micros)
        guard product.high < divisor else { return nil }
        let quotient = divisor.dividingFullWidth((high: product.high, low: product.low)).quotient
        return Int64(exactly: quotient)
    }
}
