/// How fast a workspace consumes: actions per hour over the last 24 hours against the
/// average of the last 7 days, and whether that is an anomaly.
public struct Velocity: Sendable, Equatable {
    /// Actions charged by approved decisions in the last 24 hours.
    public var last24Hours: Amount
    /// Actions charged in the last 7 days (the 24 hours included).
    public var last7Days: Amount

    public init(last24Hours: Amount, last7Days: Amount) {
        self.last24Hours = last24Hours
        self.last7Days = last7Days
    }

    /// A spike is the last day running at this many times the week's hourly average…
    public static let spikeFactor: Int64 = 3
    /// …with at least this many actions in the day, so that a quiet workspace's first
    /// few calls are not an alarm.
    public static let minimumActions = Amount(units: 10)

    public var perHour24: Amount { last24Hours.scaled(numerator: 1, denominator: 24) ?? .zero }
    public var perHour7Days: Amount { last7Days.scaled(numerator: 1, denominator: 168) ?? .zero }

    /// Last-24-hour rate ≥ 3 × the 7-day rate, compared exactly: 24h/24 ≥ 3 × 7d/168, that
    /// is 7 × 24h ≥ 3 × 7d.
    public var isSpike: Bool {
        guard last24Hours >= Velocity.minimumActions else { return false }
        let (recent, o1) = last24Hours.micros.multipliedReportingOverflow(by: 7)
        let (week, o2) = last7Days.micros.multipliedReportingOverflow(by: Velocity.spikeFactor)
        guard !o1, !o2 else { return false }
        return recent >= week
    }
}
