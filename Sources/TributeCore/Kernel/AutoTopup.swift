/// Auto top-up's rules (SPEC §3.8), pure: when an attempt starts and how many packages it
/// buys. The stores and the payment worker that carry them out come later (issue 24); these
/// rules are the kernel's, the same on every backend.
public enum AutoTopup {
    /// How much an attempt lifts the available credits (the wallet less open holds).
    public enum Mode: Sendable, Equatable {
        /// Strictly above the threshold.
        case threshold
        /// To at least this many credits (above the threshold).
        case target(Amount)
    }

    /// An owner's limits on what auto top-up may charge.
    public struct Limits: Sendable, Equatable {
        /// Charges a UTC day at most (SPEC §3.8: default 5).
        public var maxChargesPerDay: Int
        /// Cents a calendar month at most: required, so that no rule runs unbounded.
        public var maxCentsPerMonth: Int64

        public init(maxChargesPerDay: Int = 5, maxCentsPerMonth: Int64) {
            self.maxChargesPerDay = maxChargesPerDay
            self.maxCentsPerMonth = maxCentsPerMonth
        }
    }

    /// What has been charged so far in the current day and month.
    public struct Spent: Sendable, Equatable {
        public var chargesToday: Int
        public var centsThisMonth: Int64

        public init(chargesToday: Int, centsThisMonth: Int64) {
            self.chargesToday = chargesToday
            self.centsThisMonth = centsThisMonth
        }
    }

    /// Which limit held an attempt back, or made it smaller than the gap: never silent.
    public enum Limit: String, Sendable, Equatable {
        case day
        case month
    }

    /// What an attempt charges.
    public struct Sizing: Sendable, Equatable {
        /// Packages in the one PaymentIntent (at least 1).
        public var packages: Int64
        public var cents: Int64
        public var credits: Amount
        /// The limit that made it smaller than the gap, if one did: the event says so.
        public var cappedBy: Limit?
    }

    /// Whether a call that leaves `available` credits available starts an attempt: at or
    /// below the threshold, while auto top-up is active, and when no attempt is open (the
    /// schema also allows only one).
    public static func starts(available: Amount, threshold: Amount, active: Bool, attemptOpen: Bool) -> Bool {
        active && !attemptOpen && available <= threshold
    }

    /// The least number of `package`s that lifts `available` strictly above `threshold` (or
    /// to `target`), then cut to what the day's and the month's limits still allow.
    /// - Returns: `.success(nil)` when nothing is needed, `.success(sizing)` for a charge,
    ///   `.failure(limit)` when a limit leaves room for no package at all.
    public static func size(available: Amount, threshold: Amount, mode: Mode, package: CreditPackage, limits: Limits, spent: Spent) -> Result<Sizing?, LimitReached> {
        guard package.credits > .zero, package.priceCents > 0 else { return .success(nil) }
        let goal: Amount
        switch mode {
        case .threshold: goal = threshold
        case .target(let target): goal = max(target, threshold)
        }
        // Credits wanted: strictly above the threshold, or at least the target.
        let strictly = mode == .threshold
        guard strictly ? available <= goal : available < goal else { return .success(nil) }
        let gap = goal.micros - available.micros   // ≥ 0; both within ±Amount.max, so no overflow
        let credits = package.credits.micros
        // Threshold: gap / credits + 1 packages (strictly above); target: the gap rounded up.
        var wanted = strictly ? gap / credits + 1 : (gap + credits - 1) / credits
        if wanted < 1 { wanted = 1 }
        guard spent.chargesToday < limits.maxChargesPerDay else { return .failure(LimitReached(limit: .day)) }
        let (left, underflow) = limits.maxCentsPerMonth.subtractingReportingOverflow(max(0, spent.centsThisMonth))
        let centsLeft = underflow ? 0 : max(0, left)
        let affordable = centsLeft / package.priceCents
        guard affordable >= 1 else { return .failure(LimitReached(limit: .month)) }
        let packages = min(wanted, affordable)
        // packages ≤ affordable, so packages × price ≤ centsLeft: no overflow.
        let cents = packages * package.priceCents
        let (total, overflow) = credits.multipliedReportingOverflow(by: packages)
        guard !overflow, total <= Amount.max.micros else { return .failure(LimitReached(limit: .month)) }
        return .success(Sizing(packages: packages, cents: cents, credits: Amount(micros: total), cappedBy: packages < wanted ? .month : nil))
    }

    /// A limit that leaves room for no package: the state becomes `limited`.
    public struct LimitReached: Error, Sendable, Equatable {
        public var limit: Limit
    }
}
