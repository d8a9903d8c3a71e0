/// Auto top-up's rules (SPEC §3.8), pure: when an attempt starts, how many packages it buys,
/// and how its state moves with cards, payments and limits. The stores persist what these
/// decide and the payment worker carries the charge to Stripe; the rules are the kernel's,
/// the same on every backend.
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
        /// Cents a billing period at most (as `month` budgets count): required, so that no
        /// rule runs unbounded.
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

extension AutoTopup {
    /// Where a workspace's auto top-up stands (SPEC §3.8).
    public enum State: String, Sendable, CaseIterable {
        /// Armed: the next call that leaves the available credits at or below the threshold
        /// starts an attempt.
        case active
        /// An attempt is open: charging, or waiting for Stripe's `payment_intent.succeeded`.
        case pending
        /// The card declined or asked for authentication: no charge until another card (by
        /// fingerprint) is saved or a purchase succeeds.
        case suspended
        /// The day's or the month's limit left room for no package: no charge until its
        /// window ends (`Trigger.limitedUntilMillis`).
        case limited
        /// Enabled without a saved card.
        case noPaymentMethod = "no_payment_method"
    }

    /// What the kernel keeps of a workspace's auto top-up, with the workspace: enough to start
    /// an attempt in the same atomic step as a call and to explain a denial. `nil` on the
    /// workspace while auto top-up is off; the rest of the settings are read only by the
    /// payment worker.
    public struct Trigger: Sendable, Equatable {
        public var state: State
        public var threshold: Amount
        /// Why it is suspended or limited (`card_declined`, `action_required`, `day_limit`,
        /// `month_limit`).
        public var reason: String?
        /// Unix milliseconds: when the window that limited it ends (also kept after, so that a
        /// window sends one `auto_topup.limited` event).
        public var limitedUntilMillis: Int64?

        public init(state: State, threshold: Amount, reason: String? = nil, limitedUntilMillis: Int64? = nil) {
            self.state = state
            self.threshold = threshold
            self.reason = reason
            self.limitedUntilMillis = limitedUntilMillis
        }

        /// The state at `nowMillis`: a limit whose window has ended is active again.
        public func current(nowMillis: Int64) -> State {
            if state == .limited, let until = limitedUntilMillis, nowMillis >= until { return .active }
            return state
        }
    }

    /// An attempt a call started: the outbox row the backend writes with the call's effects.
    public struct Start: Sendable, Equatable {
        public var attemptId: String
        public var workspaceId: String
        /// The available credits (wallet less open holds) the call left.
        public var available: Amount
        public var atMillis: Int64

        public init(attemptId: String, workspaceId: String, available: Amount, atMillis: Int64) {
            self.attemptId = attemptId
            self.workspaceId = workspaceId
            self.available = available
            self.atMillis = atMillis
        }
    }

    /// The one trigger rule, run after every call that may lower the available credits (a
    /// debit, a hold, a commit, a denial too, and enabling or changing the settings): at or
    /// below the threshold while active, an attempt starts and the state becomes `pending`,
    /// so that no other call of any instance starts a second one (the schema also allows one).
    /// - Parameter attemptId: made only when an attempt starts.
    public static func trigger(_ state: inout WorkspaceState, nowMillis: Int64, attemptId: () -> String) -> Start? {
        // A suspended workspace buys nothing: its calls are denied whatever its credits.
        guard var armed = state.autoTopup, state.status == .active,
              starts(available: state.wallet, threshold: armed.threshold, active: armed.current(nowMillis: nowMillis) == .active, attemptOpen: false)
        else { return nil }
        armed.state = .pending
        armed.reason = nil
        state.autoTopup = armed
        return Start(attemptId: attemptId(), workspaceId: state.id, available: state.wallet, atMillis: nowMillis)
    }

    /// What a denial for want of credits says about auto top-up, so that an agent can tell
    /// "wait" (`pending`) from "stop" (`suspended`, `limited`, `no_payment_method`); `nil`
    /// while it is off or active.
    public static func notice(_ trigger: Trigger?, reason: DecisionReason, nowMillis: Int64) -> Notice? {
        guard reason == .insufficientBalance, let trigger else { return nil }
        let state = trigger.current(nowMillis: nowMillis)
        guard state != .active else { return nil }
        return Notice(state: state, reason: state == .pending ? nil : trigger.reason)
    }

    /// A denial's `autoTopup` member.
    public struct Notice: Sendable, Equatable {
        public var state: State
        public var reason: String?

        /// `{"reason":…,"state":…}`, keys sorted, as the answer's other members are written.
        public var json: String {
            var output = "{"
            if let reason {
                output += "\"reason\":"
                JSON.writeString(reason, to: &output)
                output += ","
            }
            output += "\"state\":"
            JSON.writeString(state.rawValue, to: &output)
            return output + "}"
        }
    }

    /// The state after the owner puts settings: off when disabled; without a card, waiting
    /// for one; otherwise an open attempt stays open, a suspension by the card stays until
    /// another card or a purchase (one for a package gone ends with new settings), and
    /// anything else is armed again (a limit is judged anew by the next
    /// attempt, so a raised limit applies at once).
    /// - Parameter cardBlocked: the saved card is the one that declined, so that turning
    ///   auto top-up off and on again never charges it again.
    public static func configured(enabled: Bool, threshold: Amount, hasCard: Bool, cardBlocked: Bool, previous: Trigger?) -> Trigger? {
        guard enabled else { return nil }
        var next = Trigger(state: .active, threshold: threshold, reason: nil, limitedUntilMillis: previous?.limitedUntilMillis)
        if !hasCard {
            next.state = .noPaymentMethod
        } else if let previous, previous.state == .pending || (previous.state == .suspended && isCardReason(previous.reason)) {
            next.state = previous.state
            next.reason = previous.reason
        } else if cardBlocked {
            next.state = .suspended
            next.reason = "card_declined"
        }
        return next
    }

    /// Whether a suspension is the card's doing (a decline, a failed payment, authentication
    /// the owner must give), lifted only by another card or a payment; any other (a package
    /// gone, Stripe refusing the request) ends with new settings.
    public static func isCardReason(_ reason: String?) -> Bool {
        guard let reason else { return false }
        return !notCardReasons.contains(reason)
    }

    /// The reasons of a suspension that are not the card's: the rest are Stripe's decline
    /// codes (`card_declined`, `insufficient_funds`, …), `action_required` and `payment_failed`.
    public static let notCardReasons: Set<String> = ["package_unavailable", "stripe_rejected", "turned_off"]

    /// Whether a failure blocks the card's fingerprint (SPEC §3.8: no retry on the same
    /// card): a refusal of the card, or authentication it asked for. A payment that succeeds
    /// (the one the owner finished on-session included) lifts the block.
    public static func blocksCard(_ reason: String) -> Bool {
        isCardReason(reason)
    }

    /// The state after a card is saved: a workspace waiting for one is armed; a suspended one
    /// resumes only with a card of another fingerprint than the one that failed.
    public static func cardSaved(_ trigger: Trigger?, fingerprint: String, blockedFingerprint: String?) -> Trigger? {
        guard var next = trigger else { return nil }
        switch next.state {
        case .noPaymentMethod:
            next.state = .active
        case .suspended where fingerprint != blockedFingerprint:
            next.state = .active
            next.reason = nil
        default:
            break
        }
        return next
    }

    /// The state after a payment of the workspace succeeded (an attempt's, one the owner
    /// finished on-session, or a manual purchase): the account can pay, so an open attempt's
    /// wait and a suspension both end.
    public static func paid(_ trigger: Trigger?) -> Trigger? {
        guard var next = trigger else { return nil }
        if next.state == .pending || next.state == .suspended {
            next.state = .active
            next.reason = nil
        }
        return next
    }

    /// The state after an attempt's charge failed for good (a decline, or authentication
    /// the owner must give): suspended, with the reason.
    public static func failed(_ trigger: Trigger?, reason: String) -> Trigger? {
        guard var next = trigger else { return nil }
        next.state = .suspended
        next.reason = reason
        return next
    }

    /// The state after a limit left room for no package: limited until its window ends (the
    /// UTC day's, or the billing period's for the month), and whether that window had not
    /// been told yet (one `auto_topup.limited` event per window).
    public static func limited(_ trigger: Trigger?, by limit: Limit, billing: BillingPeriod, nowMillis: Int64) -> (Trigger?, announce: Bool) {
        guard var next = trigger else { return (nil, false) }
        let untilSeconds = limit == .day ? BudgetPeriod.day.resetsAt(billing: billing, nowMillis: nowMillis) ?? billing.end : billing.end
        let until = untilSeconds * 1000
        let announce = next.limitedUntilMillis != until
        next.state = .limited
        next.reason = limit == .day ? "day_limit" : "month_limit"
        next.limitedUntilMillis = until
        return (next, announce)
    }

    /// The state after an attempt found nothing to buy (credits came in meanwhile): armed.
    public static func notNeeded(_ trigger: Trigger?) -> Trigger? {
        guard var next = trigger else { return nil }
        if next.state == .pending { next.state = .active }
        return next
    }

    /// What the day's and the month's limits count from: the UTC day's start and the billing
    /// period's, in Unix milliseconds.
    public static func windows(billing: BillingPeriod, nowMillis: Int64) -> (dayStartMillis: Int64, monthStartMillis: Int64) {
        (BudgetPeriod.day.windowStart(billing: billing, nowMillis: nowMillis) * 1000, billing.start * 1000)
    }

    /// Waits between attempts to reach Stripe: 2 s doubling to at most 10 minutes.
    public static func retryDelayMillis(tries: Int) -> Int64 {
        let shift = min(max(tries, 0), 9)
        return min(2_000 << Int64(shift), 600_000)
    }
}
