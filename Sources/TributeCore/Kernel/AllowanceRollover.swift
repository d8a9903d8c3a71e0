/// A plan's allowance rollover (SPEC §3.9): at each period close part of the allowance left
/// carries into the next periods, where it is spent before the fresh allowance.
public struct RolloverTerms: Sendable, Equatable {
    /// The share of the unused fresh allowance that carries, 0–1 (six decimals, exact).
    public var fraction: Amount
    /// The most rollover a workspace holds at once, in actions: a close carries at most
    /// this less what earlier closes carried and is still held.
    public var maxCarry: Amount
    /// How many periods a carry lasts: 1 is the next period only.
    public var expiresAfterPeriods: Int

    public static let fractionRange = Amount.zero...Amount.one
    /// Ten years of monthly periods: longer than any plan keeps allowance.
    public static let expiresAfterPeriodsRange = 1...120

    public init(fraction: Amount, maxCarry: Amount, expiresAfterPeriods: Int) {
        self.fraction = fraction
        self.maxCarry = maxCarry
        self.expiresAfterPeriods = expiresAfterPeriods
    }

    /// What a close carries out of `unused` fresh allowance while `held` rollover is still
    /// held: `min(maxCarry − held, floor(unused × fraction))`, in whole actions.
    public func carry(unused: Amount, held: Amount) -> Amount {
        guard unused > .zero, let share = unused.wholeUnits(times: fraction) else { return .zero }
        return max(.zero, min(maxCarry - held, share))
    }

    /// When a carry made at the close `boundary` (Unix seconds, a period's start) lapses:
    /// the end of the `expiresAfterPeriods`-th period from it.
    public func expiry(ofCarryAt boundary: Int64, anchor: CivilDate) -> Int64 {
        var period = BillingPeriod.containing(boundary, anchor: anchor)
        for _ in 1..<max(1, expiresAfterPeriods) { period = BillingPeriod.containing(period.end, anchor: anchor) }
        return period.end
    }
}

/// The rollover a workspace holds: the carries of earlier closes, each spent before the
/// fresh allowance and lapsing at its own period boundary. All of it is part of the
/// allowance account's balance; what is not is the period's fresh allowance.
public struct AllowanceCarry: Sendable, Equatable {
    /// One close's carry.
    public struct Lot: Sendable, Equatable {
        /// Unix seconds: the period boundary where what is left of it lapses.
        public var expiresAt: Int64
        /// Actions left.
        public var amount: Amount

        public init(expiresAt: Int64, amount: Amount) {
            self.expiresAt = expiresAt
            self.amount = amount
        }
    }

    /// What rollover the current period started with (and carries offered to it since, by
    /// holds released after their period): the plan rule's headroom above the plan's
    /// allowance (`allowance + used ≤ plan + carriedIn`).
    public var carriedIn: Amount = .zero
    /// Soonest-expiring first: the order they are spent and trimmed in.
    public private(set) var lots: [Lot] = []

    public init() {}

    public init(carriedIn: Amount, lots: [Lot]) {
        self.carriedIn = carriedIn
        self.lots = lots.filter { $0.amount > .zero }.sorted { $0.expiresAt < $1.expiresAt }
    }

    public var isEmpty: Bool { carriedIn.isZero && lots.isEmpty }

    /// The rollover still held.
    public var held: Amount { lots.reduce(.zero) { $0 + $1.amount } }

    /// Takes up to `amount` from the lots, soonest-expiring first.
    mutating func spend(_ amount: Amount) {
        var left = amount
        for index in lots.indices where left > .zero {
            let part = min(left, lots[index].amount)
            lots[index].amount -= part
            left -= part
        }
        lots.removeAll { $0.amount.isZero }
    }

    /// Removes the lots that lapse at or before `boundary`. - Returns: what they held.
    mutating func expire(at boundary: Int64) -> Amount {
        let lapsed = lots.filter { $0.expiresAt <= boundary }.reduce(Amount.zero) { $0 + $1.amount }
        lots.removeAll { $0.expiresAt <= boundary }
        return lapsed
    }

    /// Trims the oldest lots until at most `cap` is held (a plan whose cap was lowered).
    /// - Returns: what was trimmed.
    mutating func trim(to cap: Amount) -> Amount {
        var over = held - max(.zero, cap)
        var trimmed = Amount.zero
        for index in lots.indices where over > .zero {
            let part = min(over, lots[index].amount)
            lots[index].amount -= part
            over -= part
            trimmed += part
        }
        lots.removeAll { $0.amount.isZero }
        return trimmed
    }

    /// Adds `amount` to the lot lapsing at `expiresAt`.
    mutating func add(_ amount: Amount, expiresAt: Int64) {
        guard amount > .zero else { return }
        if let index = lots.firstIndex(where: { $0.expiresAt == expiresAt }) {
            lots[index].amount += amount
        } else {
            lots.append(Lot(expiresAt: expiresAt, amount: amount))
            lots.sort { $0.expiresAt < $1.expiresAt }
        }
    }
}

extension AllowanceCarry {
    /// The stored form, one text column: `carriedIn;expiresAt:amount;…` in micro-units;
    /// `nil` when there is nothing (what every workspace without rollover stores).
    public var encoded: String? {
        guard !isEmpty else { return nil }
        return ([String(carriedIn.micros)] + lots.map { "\($0.expiresAt):\($0.amount.micros)" }).joined(separator: ";")
    }

    /// - Returns: `nil` for text Tribute never writes.
    public init?(decoding text: String) {
        let parts = text.split(separator: ";", omittingEmptySubsequences: false)
        guard let first = parts.first, let carried = Int64(first), carried >= 0 else { return nil }
        var lots: [Lot] = []
        for part in parts.dropFirst() {
            let fields = part.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count == 2, let expiresAt = Int64(fields[0]), let micros = Int64(fields[1]), micros > 0,
                  micros <= Amount.max.micros else { return nil }
            lots.append(Lot(expiresAt: expiresAt, amount: Amount(micros: micros)))
        }
        guard carried <= Amount.max.micros else { return nil }
        self.init(carriedIn: Amount(micros: carried), lots: lots)
    }
}

extension RolloverTerms {
    /// The stored form, one text column of the plan: `fraction:maxCarry:periods` in
    /// micro-units.
    public var encoded: String { "\(fraction.micros):\(maxCarry.micros):\(expiresAfterPeriods)" }

    /// - Returns: `nil` for text Tribute never writes.
    public init?(decoding text: String) {
        let fields = text.split(separator: ":", omittingEmptySubsequences: false)
        guard fields.count == 3, let fraction = Int64(fields[0]), let maxCarry = Int64(fields[1]), let periods = Int(fields[2]),
              RolloverTerms.fractionRange.contains(Amount(micros: fraction)), (0...Amount.max.micros).contains(maxCarry),
              RolloverTerms.expiresAfterPeriodsRange.contains(periods) else { return nil }
        self.init(fraction: Amount(micros: fraction), maxCarry: Amount(micros: maxCarry), expiresAfterPeriods: periods)
    }
}
