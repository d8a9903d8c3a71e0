/// Whether a budget counts actions or credits.
public enum BudgetUnit: String, Sendable, CaseIterable {
    case actions
    case credits
}

/// The window a budget's use counts in (SPEC §3.7): a UTC day, a UTC week from Monday, the
/// workspace's billing period, or ever. Its use starts afresh with each window.
public enum BudgetPeriod: String, Sendable, CaseIterable {
    case day
    case week
    case month
    case lifetime

    static let secondsPerDay: Int64 = 86_400

    /// Unix seconds: the start of the window that holds `nowMillis` — for `month`, the
    /// workspace's billing period `billing`; for `lifetime`, 0.
    public func windowStart(billing: BillingPeriod, nowMillis: Int64) -> Int64 {
        let seconds = nowMillis >= 0 ? nowMillis / 1000 : (nowMillis - 999) / 1000
        let day = seconds >= 0 ? seconds / Self.secondsPerDay : (seconds - Self.secondsPerDay + 1) / Self.secondsPerDay
        switch self {
        case .day: return day * Self.secondsPerDay
        // 1970-01-01 was a Thursday: day 0 is 3 days after a Monday.
        case .week: return (day - ((day % 7 + 7 + 3) % 7)) * Self.secondsPerDay
        case .month: return billing.start
        case .lifetime: return 0
        }
    }

    /// Unix seconds: when the window that holds `nowMillis` ends and use starts afresh;
    /// `nil` for `lifetime`.
    public func resetsAt(billing: BillingPeriod, nowMillis: Int64) -> Int64? {
        switch self {
        case .day: windowStart(billing: billing, nowMillis: nowMillis) + Self.secondsPerDay
        case .week: windowStart(billing: billing, nowMillis: nowMillis) + 7 * Self.secondsPerDay
        case .month: billing.end
        case .lifetime: nil
        }
    }
}

/// The scope a budget caps inside a workspace: one user, one agent, one run, the calls made
/// with one API key, or every call of the workspace (SPEC §3.7).
public struct BudgetScope: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        case user, agent, run, key, workspace

        /// Its place in `checkOrder`.
        var rank: Int {
            switch self {
            case .user: 0
            case .agent: 1
            case .run: 2
            case .key: 3
            case .workspace: 4
            }
        }
    }

    /// Every call of the workspace: `workspace`, with no id.
    public static let workspace = BudgetScope(kind: .workspace, id: "")

    public let kind: Kind
    public let id: String

    public init(kind: Kind, id: String) {
        self.kind = kind
        self.id = id
    }

    /// Parses `workspace`, or `user:X`, `agent:X`, `run:X` or `key:X`, with X of 1 to 200
    /// UTF-8 bytes, no C0 control characters, and not `.` or `..`: every scope the store may
    /// hold. What a caller may write now is narrower (the server holds a new scope's id to
    /// the rule of the ids a call carries, which also refuses bidirectional and invisible
    /// characters); scopes stored before that rule still parse, so that they can be read
    /// and deleted.
    public init?(parsing text: String) {
        if text == "workspace" {
            self = .workspace
            return
        }
        guard let colon = text.firstIndex(of: ":"),
              let kind = Kind(rawValue: String(text[..<colon])), kind != .workspace else { return nil }
        let id = String(text[text.index(after: colon)...])
        guard !id.isEmpty, id.utf8.count <= 200, id != ".", id != "..",
              !id.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return nil }
        self.init(kind: kind, id: id)
    }

    public var description: String { kind == .workspace ? "workspace" : "\(kind.rawValue):\(id)" }

    /// The order budgets are checked and a denial names the first that refused: the
    /// caller's own scopes (user, agent, run), then the key's, then the workspace's.
    public static func checkOrder(_ a: BudgetScope, _ b: BudgetScope) -> Bool {
        a.kind.rank < b.kind.rank
    }
}

/// A cap on one scope's spending inside a workspace.
public struct Budget: Sendable, Equatable {
    public var scope: BudgetScope
    public var limit: Amount
    public var unit: BudgetUnit
    public var period: BudgetPeriod
    /// What the scope has used in the current period (or ever, for `lifetime`).
    public var used: Amount

    public init(scope: BudgetScope, limit: Amount, unit: BudgetUnit, period: BudgetPeriod, used: Amount) {
        self.scope = scope
        self.limit = limit
        self.unit = unit
        self.period = period
        self.used = used
    }

    public var remaining: Amount { max(.zero, limit - used) }

    /// Whether `actions` and `credits` of one call fit in what is left.
    public func hasRoom(actions: Amount, credits: Amount) -> Bool {
        used + (unit == .actions ? actions : credits) <= limit
    }
}
