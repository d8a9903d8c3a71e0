/// The reason code of a decision (SPEC §2).
public enum DecisionReason: String, Sendable, CaseIterable {
    case approved = "APPROVED"
    case insufficientBalance = "INSUFFICIENT_BALANCE"
    case planLimitReached = "PLAN_LIMIT_REACHED"
    case budgetExceeded = "BUDGET_EXCEEDED"
    case workspaceSuspended = "WORKSPACE_SUSPENDED"
    /// Not an answer to a call: an admin's reversal of an earlier charge, in the chain.
    case reversed = "REVERSED"

    /// The sentence shown to people.
    public var message: String {
        switch self {
        case .approved: "Debit successful"
        case .insufficientBalance: "Insufficient balance"
        case .planLimitReached: "Plan limit reached"
        case .budgetExceeded: "Budget exceeded"
        case .workspaceSuspended: "Workspace suspended"
        case .reversed: "Charge reversed"
        }
    }
}

/// Everything the pricing rule needs to know, read in the same transaction that will debit.
public struct PricingInput: Sendable {
    public var baseCost: Amount
    public var costMultiplier: Amount
    /// A token-priced call's tokens and rates: its cost instead of base × multiplier.
    public var tokens: TokenCharge?
    public var allowanceLeft: Amount
    public var overagePolicy: OveragePolicy
    public var overageRate: Amount
    /// Credits in the wallet that are not held and not expired.
    public var creditsAvailable: Amount
    public var budgets: [Budget]
    public var suspended: Bool

    public init(baseCost: Amount, costMultiplier: Amount, tokens: TokenCharge? = nil, allowanceLeft: Amount, overagePolicy: OveragePolicy, overageRate: Amount,
                creditsAvailable: Amount, budgets: [Budget], suspended: Bool) {
        self.baseCost = baseCost
        self.costMultiplier = costMultiplier
        self.tokens = tokens
        self.allowanceLeft = allowanceLeft
        self.overagePolicy = overagePolicy
        self.overageRate = overageRate
        self.creditsAvailable = creditsAvailable
        self.budgets = budgets
        self.suspended = suspended
    }
}

/// The outcome of pricing one action: what to charge where, or why not.
public struct PricingOutcome: Sendable, Equatable {
    public var reason: DecisionReason
    /// The action's cost in actions (recorded even when denied).
    public var actionsCharged: Amount
    /// Actions taken from the period's allowance (zero when denied).
    public var fromAllowance: Amount
    /// Credits taken from the wallet (zero when denied).
    public var creditsDebited: Amount
    /// For `BUDGET_EXCEEDED`: the budget that refused (SPEC §3.7).
    public var budgetScope: BudgetScope?

    public init(reason: DecisionReason, actionsCharged: Amount, fromAllowance: Amount, creditsDebited: Amount, budgetScope: BudgetScope? = nil) {
        self.reason = reason
        self.actionsCharged = actionsCharged
        self.fromAllowance = fromAllowance
        self.creditsDebited = creditsDebited
        self.budgetScope = budgetScope
    }

    public var approved: Bool { reason == .approved }
}

/// Why an action cannot be priced at all; this is an error, not a decision.
public enum PricingError: Error, Equatable, Sendable {
    /// The cost overflows `Amount.max`.
    case costOutOfRange
    /// `usage` for an action priced per call, a multiplier (or no usage) for a token-priced one.
    case usageMismatch(String)
}

/// The pricing rule of SPEC §2, as a pure function.
public enum Pricing {
    /// Prices one action: cost = base × multiplier, allowance first, then overage by policy,
    /// then every applicable budget. A denial charges nothing.
    /// - Throws: `PricingError.costOutOfRange` when a product overflows.
    public static func price(_ input: PricingInput) throws(PricingError) -> PricingOutcome {
        guard let cost = input.tokens.map({ $0.cost }) ?? input.baseCost.multiplied(by: input.costMultiplier) else { throw .costOutOfRange }
        func deny(_ reason: DecisionReason) -> PricingOutcome {
            PricingOutcome(reason: reason, actionsCharged: cost, fromAllowance: .zero, creditsDebited: .zero)
        }
        if input.suspended { return deny(.workspaceSuspended) }
        let fromAllowance = min(cost, max(.zero, input.allowanceLeft))
        let overage = cost - fromAllowance
        var credits = Amount.zero
        if !overage.isZero {
            switch input.overagePolicy {
            case .block:
                return deny(.planLimitReached)
            case .credits:
                guard let charge = overage.multiplied(by: input.overageRate) else { throw .costOutOfRange }
                guard charge <= input.creditsAvailable else { return deny(.insufficientBalance) }
                credits = charge
            }
        }
        // Every budget that applies is checked; the first without room, in the order the
        // kernel gives them (`BudgetScope.checkOrder`), is named.
        for budget in input.budgets where !budget.hasRoom(actions: cost, credits: credits) {
            var denied = deny(.budgetExceeded)
            denied.budgetScope = budget.scope
            return denied
        }
        return PricingOutcome(reason: .approved, actionsCharged: cost, fromAllowance: fromAllowance, creditsDebited: credits)
    }
}

extension Pricing {
    /// How a call of an action is priced, from what the caller gave (SPEC §3.6): an action
    /// priced per call takes a multiplier (1 when none is given) and no `usage`; a
    /// token-priced one takes `usage` and no multiplier.
    /// - Returns: the multiplier (1 for a token-priced call, which the explanation leaves
    ///   out) and, for a token-priced call, its tokens at the action's rates.
    /// - Throws: `usageMismatch` for any other combination.
    public static func terms(of cost: ActionCost, multiplier: Amount?, usage: TokenUsage?) throws(PricingError) -> (multiplier: Amount, tokens: TokenCharge?) {
        switch (cost.tokenRates, usage) {
        case (nil, nil):
            return (multiplier ?? .one, nil)
        case (nil, .some):
            throw .usageMismatch("\(cost.actionType) is priced per call: give costMultiplier, not usage")
        case (.some, nil):
            throw .usageMismatch("\(cost.actionType) is priced per token: give usage")
        case (let rates?, let usage?):
            guard multiplier == nil else { throw .usageMismatch("\(cost.actionType) is priced per token: give usage, not costMultiplier") }
            return (.one, TokenCharge(usage: usage, rates: rates, perCall: cost.baseCost))
        }
    }
}
