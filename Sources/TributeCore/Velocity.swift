/// How fast a workspace consumes: actions per hour over the last 24 hours against the
/// average of the last 7 days, and whether the last day is an anomaly against the days
/// before it.
public struct Velocity: Sendable, Equatable {
    /// Actions charged by approved decisions in the last 24 hours.
    public var last24Hours: Amount
    /// Actions charged in the last 7 days (the 24 hours included).
    public var last7Days: Amount

    /// How many hours of the 7 days the workspace has existed (168 for a week or more): the
    /// average is over the hours it could consume in, not over days before it existed.
    public var historyHours: Int64

    public init(last24Hours: Amount, last7Days: Amount, historyHours: Int64 = Velocity.weekHours) {
        self.last24Hours = last24Hours
        self.last7Days = last7Days
        self.historyHours = min(max(historyHours, 0), Velocity.weekHours)
    }

    public static let weekHours: Int64 = 168
    /// A spike needs a day of history before the last one: a new workspace's first day is
    /// all of its history, and would always run at its own average × 7.
    public static let minimumHistoryHours: Int64 = 48

    /// The same counts for a workspace created at `createdAtMillis`, seen at `nowMillis`.
    public func withHistory(createdAtMillis: Int64, nowMillis: Int64) -> Velocity {
        let (age, overflow) = nowMillis.subtractingReportingOverflow(createdAtMillis)
        let hours = overflow ? Velocity.weekHours : max(age, 0) / 3_600_000
        return Velocity(last24Hours: last24Hours, last7Days: last7Days, historyHours: hours)
    }

    /// The hours the 7-day average is taken over: the workspace's history, at least a day.
    var averageHours: Int64 { max(historyHours, 24) }

    /// A spike is the last day running at this many times the hourly rate before it…
    public static let spikeFactor: Int64 = 3
    /// …with at least this many actions in the day, so that a quiet workspace's first
    /// few calls are not an alarm.
    public static let minimumActions = Amount(units: 10)

    public var perHour24: Amount { last24Hours.scaled(numerator: 1, denominator: 24) ?? .zero }
    public var perHour7Days: Amount { last7Days.scaled(numerator: 1, denominator: averageHours) ?? .zero }

    /// The last 24 hours' rate ≥ 3 × the rate of the hours before them in the 7 days (of
    /// the workspace's life, at least a day of it), compared exactly: 24h/24 ≥ 3 × P/(H−24)
    /// with P the actions before the last day, that is (H − 24) × 24h ≥ 72 × P.
    public var isSpike: Bool {
        guard last24Hours >= Velocity.minimumActions, historyHours >= Velocity.minimumHistoryHours else { return false }
        let (before, o0) = last7Days.micros.subtractingReportingOverflow(last24Hours.micros)
        let (recent, o1) = last24Hours.micros.multipliedReportingOverflow(by: historyHours - 24)
        let (base, o2) = max(before, 0).multipliedReportingOverflow(by: Velocity.spikeFactor * 24)
        guard !o0, !o1, !o2 else { return false }
        return recent >= base
    }
}
