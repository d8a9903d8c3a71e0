/// Whether a budget counts actions or credits.
public enum BudgetUnit: String, Sendable, CaseIterable {
    case actions
    case credits
}

/// Whether a budget's use starts again each billing period or never does.
public enum BudgetPeriod: String, Sendable, CaseIterable {
    case month
    case lifetime
}

/// The scope a budget caps inside a workspace: one user, one agent or one run.
public struct BudgetScope: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        case user, agent, run
    }

    public let kind: Kind
    public let id: String

    public init(kind: Kind, id: String) {
        self.kind = kind
        self.id = id
    }

    /// Parses `user:X`, `agent:X` or `run:X`, with X of 1 to 200 UTF-8 bytes, no C0
    /// control characters, and not `.` or `..`: every scope the store may hold. What a
    /// caller may write now is narrower (the server holds a new scope's id to the rule of
    /// the ids a call carries, which also refuses bidirectional and invisible characters);
    /// scopes stored before that rule still parse, so that they can be read and deleted.
    public init?(parsing text: String) {
        guard let colon = text.firstIndex(of: ":"),
              let kind = Kind(rawValue: String(text[..<colon])) else { return nil }
        let id = String(text[text.index(after: colon)...])
        guard !id.isEmpty, id.utf8.count <= 200, id != ".", id != "..",
              !id.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return nil }
        self.init(kind: kind, id: id)
    }

    public var description: String { "\(kind.rawValue):\(id)" }
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
