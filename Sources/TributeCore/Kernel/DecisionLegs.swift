/// The legs of one decision's ledger transaction, summed by account kind, and the rule that
/// ties them to what the chained decision records (SPEC §4, `LedgerRule.decisionMismatch`):
/// a transaction whose postings were edited — a debit doubled, with the balances and the
/// grant adjusted to match — still sums to zero and still matches its balances, but no
/// longer says what its decision (whose fields are in the hash chain) says.
///
/// What each decision's transaction moves, by the kernel's own rules:
///
/// | decision | legs |
/// | --- | --- |
/// | call, reversal | wallet −credits → revenue; allowance −fromAllowance → usage |
/// | hold | wallet −credits → held credits; allowance −fromAllowance → held allowance |
/// | commit | held credits (and wallet, for what a final commit gives back) → revenue: credits; held allowance (and allowance, lapsed) → usage: fromAllowance |
/// | release, expiry | held credits → wallet: the grants its explanation returns; held allowance → allowance or lapsed |
///
/// No decision's transaction touches another workspace's accounts, issues allowance, or
/// moves credits to or from grants, expiry or payments.
public struct DecisionLegs: Sendable {
    private var sums: [AccountKind: Int64] = [:]
    private var foreign = false
    private var overflow = false

    public init() {}

    /// Adds one posting of the transaction.
    /// - Parameter ownWorkspace: whether the account is the decision's workspace's own
    ///   (`false` for system accounts); `nil` for another workspace's account.
    public mutating func add(kind: AccountKind, ownWorkspace: Bool?, amountMicros: Int64) {
        guard let own = ownWorkspace, own == kind.isWorkspaceAccount else { foreign = true; return }
        let (sum, overflowed) = (sums[kind] ?? 0).addingReportingOverflow(amountMicros)
        if overflowed { overflow = true }
        sums[kind] = sum
    }

    private func sum(_ kind: AccountKind) -> Int64 { sums[kind] ?? 0 }

    /// The decision the legs belong to, as its chained row records it.
    public struct Recorded: Sendable {
        public var id: String
        public var kind: DecisionKind
        public var reason: DecisionReason
        public var fromAllowanceMicros: Int64
        public var creditsMicros: Int64
        public var explanation: String?

        public init(id: String, kind: DecisionKind, reason: DecisionReason, fromAllowanceMicros: Int64, creditsMicros: Int64, explanation: String?) {
            self.id = id
            self.kind = kind
            self.reason = reason
            self.fromAllowanceMicros = fromAllowanceMicros
            self.creditsMicros = creditsMicros
            self.explanation = explanation
        }
    }

    /// Whether the legs say what `decision` records.
    /// - Returns: `nil` when they do; the violation otherwise.
    public func violation(_ decision: Recorded) -> LedgerViolation? {
        guard !foreign, !overflow, sum(.allowanceIssued) == 0, sum(.grants) == 0, sum(.expired) == 0, sum(.payments) == 0 else {
            return .decisionMismatch(decision.id)
        }
        let credits = decision.creditsMicros, fromAllowance = decision.fromAllowanceMicros
        let (wallet, allowance, heldCredits, heldAllowance) = (sum(.wallet), sum(.allowance), sum(.heldCredits), sum(.heldAllowance))
        let (revenue, usage, lapsed) = (sum(.revenue), sum(.usage), sum(.allowanceLapsed))
        let holds: Bool
        switch (decision.reason, decision.kind) {
        case (.approved, .call), (.reversed, _):
            holds = revenue == credits && usage == fromAllowance && wallet == -credits && allowance == -fromAllowance
                && heldCredits == 0 && heldAllowance == 0 && lapsed == 0
        case (.approved, .hold):
            holds = heldCredits == credits && heldAllowance == fromAllowance && wallet == -credits && allowance == -fromAllowance
                && revenue == 0 && usage == 0 && lapsed == 0
        case (.approved, .commit):
            holds = revenue == credits && usage == fromAllowance && wallet >= 0 && allowance >= 0 && lapsed >= 0
                && wallet + heldCredits == -credits && allowance + heldAllowance + lapsed == -fromAllowance
        case (.approved, .release), (.approved, .expiry):
            // Only the grants are read (a release charges no actions).
            let returned = decision.explanation.flatMap { ChargeExplanation(decoding: $0, actionsCharged: .zero) }?.grants.reduce(Int64(0)) { $0 &+ $1.amount.micros }
            holds = credits == 0 && fromAllowance == 0 && revenue == 0 && usage == 0 && wallet == (returned ?? wallet) && wallet >= 0
                && wallet + heldCredits == 0 && allowance >= 0 && lapsed >= 0 && allowance + heldAllowance + lapsed == 0
        default:
            // A denial moves nothing.
            holds = sums.values.allSatisfy { $0 == 0 }
        }
        return holds ? nil : .decisionMismatch(decision.id)
    }
}

/// The plan rule of `ledger verify` (`LedgerRule.allowanceOverPlan`): a workspace's allowance
/// never passes what its plan grants and what it carried in (SPEC §3.9). With allowance
/// left, what is left plus what the period used (held allowance counted as used) is at most
/// the plan's allowance plus the rollover the period started with — the rule every
/// give-back keeps (`WorkspaceState.allowanceReturnable`) and a plan change sets.
public enum AllowanceAudit {
    /// - Parameters:
    ///   - periodUsedMicros: what the workspace's current period used, held allowance counted.
    ///   - heldInPeriodMicros: what its open holds of the current period still hold from
    ///     allowance (part of what was used; counted on its own so that an edited used
    ///     figure does not hide it).
    ///   - rollover: the workspace's stored carries (`AllowanceCarry.encoded`).
    /// - Returns: `nil` when the rule holds.
    public static func violation(workspaceId: String, allowanceMicros: Int64, periodUsedMicros: Int64, heldInPeriodMicros: Int64,
                                 planAllowanceMicros: Int64, rollover: String?) -> LedgerViolation? {
        let carry = rollover.map { AllowanceCarry(decoding: $0) } ?? AllowanceCarry()
        guard let carry else { return LedgerViolation(.allowanceOverPlan, "workspace \(workspaceId)'s rollover is not one Tribute writes") }
        guard allowanceMicros > 0 else { return nil }
        let (total, overflowed) = allowanceMicros.addingReportingOverflow(max(periodUsedMicros, heldInPeriodMicros))
        let (cap, capOverflowed) = planAllowanceMicros.addingReportingOverflow(carry.carriedIn.micros)
        guard overflowed || capOverflowed || total > cap else { return nil }
        return LedgerViolation(.allowanceOverPlan, """
            workspace \(workspaceId) has \(Amount(micros: allowanceMicros)) actions of allowance left after using \
            \(Amount(micros: max(periodUsedMicros, heldInPeriodMicros))) this period, more than its plan's \(Amount(micros: planAllowanceMicros)) \
            and the \(carry.carriedIn) it carried in
            """)
    }
}

/// `DecisionLegs` over a whole ledger, fed one posting at a time in decision order, so that
/// `ledger verify` checks every decision's transaction in one streaming pass with flat
/// memory.
public struct DecisionLegsWalk: Sendable {
    private var current: (seq: Int64, decision: DecisionLegs.Recorded?)?
    private var legs = DecisionLegs()

    public init() {}

    /// One posting of a decision's transaction: a row of `decisionLegs` (decision `seq`,
    /// its recorded fields, the posting's account kind, whose account, and amount).
    /// - Parameter owner: 0 a system account, 1 the decision's workspace's own, anything
    ///   else another workspace's.
    /// - Returns: the violation of the decision before, once all its postings were fed.
    public mutating func add(seq: Int64, decision: @autoclosure () -> DecisionLegs.Recorded?, accountKind: String, owner: Int64,
                             amountMicros: Int64) -> LedgerViolation? {
        var finished: LedgerViolation?
        if current?.seq != seq {
            finished = finish()
            current = (seq, decision())
            legs = DecisionLegs()
        }
        // An account kind Tribute never writes is no account a decision may move.
        let kind = AccountKind(rawValue: accountKind)
        legs.add(kind: kind ?? .grants, ownWorkspace: kind == nil ? nil : owner == 0 ? false : owner == 1 ? true : nil, amountMicros: amountMicros)
        return finished
    }

    /// The violation of the last decision fed, if any.
    public func finish() -> LedgerViolation? {
        guard let current else { return nil }
        // A kind or reason Tribute never writes: the row was altered.
        guard let decision = current.decision else { return .decisionMismatch("#\(current.seq)") }
        return legs.violation(decision)
    }
}
