/// The alerts a change of a workspace's use and balance raises (SPEC §3.2): the period's
/// allowance reaching 80 % and 100 % used, and the wallet falling below the workspace's
/// low-balance threshold. An alert fires on the crossing, once, not on every call beyond.
public enum ThresholdAlerts {
    /// The allowance shares that alert, in percent.
    public static let allowancePercents: [Int64] = [80, 100]

    /// - Parameters:
    ///   - allowance: the plan's allowance for the period (no alerts when zero).
    ///   - usedBefore/usedAfter: allowance actions used this period, before and after.
    ///   - walletBefore/walletAfter: the wallet before and after.
    ///   - lowBalanceThreshold: the workspace's threshold; `nil` or zero: none.
    public static func crossed(
        allowance: Amount, usedBefore: Amount, usedAfter: Amount, walletBefore: Amount, walletAfter: Amount, lowBalanceThreshold: Amount?,
        periodEndMillis: Int64
    ) -> [EventDraft] {
        // Most calls (every denial) move nothing and cannot cross anything.
        guard usedAfter != usedBefore || walletAfter != walletBefore else { return [] }
        var alerts: [EventDraft] = []
        if !allowance.isZero {
            for percent in allowancePercents {
                let level = percent == 100 ? allowance : allowance.scaled(numerator: percent, denominator: 100) ?? allowance
                guard usedBefore < level, usedAfter >= level else { continue }
                alerts.append((.allowanceThreshold, [
                    "percent": .int(percent), "allowance": .amount(allowance), "used": .amount(usedAfter),
                    "remainingAllowance": .amount(allowance - min(usedAfter, allowance)), "periodEnd": .timestamp(millis: periodEndMillis),
                ]))
            }
        }
        if let threshold = lowBalanceThreshold, !threshold.isZero, walletBefore >= threshold, walletAfter < threshold {
            alerts.append((.balanceLow, ["threshold": .amount(threshold), "remainingBalance": .amount(walletAfter)]))
        }
        return alerts
    }
}
