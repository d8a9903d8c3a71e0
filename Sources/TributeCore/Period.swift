/// A calendar date in UTC, used for anchor dates and daily usage buckets.
public struct CivilDate: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYY-MM-DD`; `nil` unless it names a real date between years 1970 and 9999.
    public init?(parsing text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              (1970...9999).contains(year), (1...12).contains(month),
              (1...CivilDate.daysIn(year: year, month: month)).contains(day)
        else { return nil }
        self.init(year: year, month: month, day: day)
    }

    /// The UTC date of a Unix time.
    public init(unixSeconds: Int64) {
        let days = Int(unixSeconds >= 0 ? unixSeconds / 86_400 : (unixSeconds - 86_399) / 86_400)
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        self.init(year: yoe + era * 400 + (month <= 2 ? 1 : 0), month: month, day: day)
    }

    /// Unix seconds of this date's midnight UTC.
    public var unixSeconds: Int64 {
        // Howard Hinnant's days_from_civil.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return Int64(era * 146_097 + doe - 719_468) * 86_400
    }

    public static func daysIn(year: Int, month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    public static func < (lhs: CivilDate, rhs: CivilDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    public var description: String {
        let y = String(year), m = String(month), d = String(day)
        return String(repeating: "0", count: max(0, 4 - y.count)) + y + "-" + (m.count < 2 ? "0" : "") + m + "-" + (d.count < 2 ? "0" : "") + d
    }

    /// The anchor day in the month `offset` months from this date's month, clamped to that
    /// month's length (an anchor on the 31st falls on the 30th, 29th or 28th in shorter months).
    func anchored(day anchorDay: Int, monthOffset offset: Int) -> CivilDate {
        let index = year * 12 + (month - 1) + offset
        let targetYear = index / 12
        let targetMonth = index % 12 + 1
        return CivilDate(year: targetYear, month: targetMonth, day: min(anchorDay, CivilDate.daysIn(year: targetYear, month: targetMonth)))
    }
}

/// A workspace's billing period: `[start, end)` in Unix seconds, UTC.
public struct BillingPeriod: Hashable, Sendable {
    public let start: Int64
    public let end: Int64

    public init(start: Int64, end: Int64) {
        self.start = start
        self.end = end
    }

    /// The monthly period that contains `instant` for a workspace anchored on `anchor`.
    /// Periods start at midnight UTC on the anchor's day of the month, clamped to the
    /// month's last day.
    public static func containing(_ instant: Int64, anchor: CivilDate) -> BillingPeriod {
        let today = CivilDate(unixSeconds: instant)
        var start = today.anchored(day: anchor.day, monthOffset: 0)
        if instant < start.unixSeconds { start = today.anchored(day: anchor.day, monthOffset: -1) }
        let end = start.anchored(day: anchor.day, monthOffset: 1)
        return BillingPeriod(start: start.unixSeconds, end: end.unixSeconds)
    }
}

/// Where "now" comes from, so that tests can move time.
public protocol WallClock: Sendable {
    /// Unix milliseconds.
    func nowMillis() -> Int64
}

extension WallClock {
    /// Unix seconds.
    public func nowSeconds() -> Int64 { nowMillis() / 1000 }
}
