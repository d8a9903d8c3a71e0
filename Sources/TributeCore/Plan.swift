/// What happens to the part of an action's cost that the period's allowance cannot cover.
public enum OveragePolicy: String, Sendable, CaseIterable {
    /// Deny with `PLAN_LIMIT_REACHED`.
    case block
    /// Charge `overage × overageRate` credits from the wallet.
    case credits
}

/// A plan ("tier", "Pact"): the monthly allowance and what overage costs.
public struct Plan: Sendable, Equatable {
    public var id: String
    public var name: String
    /// Actions included in each billing period.
    public var monthlyAllowance: Amount
    public var overagePolicy: OveragePolicy
    /// Credits charged per action of overage.
    public var overageRate: Amount
    /// The plan's price per period, in integer cents.
    public var priceCents: Int64
    /// What of the allowance left carries into the next periods; `nil`: none does.
    public var rollover: RolloverTerms?

    public init(id: String, name: String, monthlyAllowance: Amount, overagePolicy: OveragePolicy, overageRate: Amount, priceCents: Int64,
                rollover: RolloverTerms? = nil) {
        self.id = id
        self.name = name
        self.monthlyAllowance = monthlyAllowance
        self.overagePolicy = overagePolicy
        self.overageRate = overageRate
        self.priceCents = priceCents
        self.rollover = rollover
    }
}

/// One version of an action type's cost in the registry: a base cost per call (times the
/// caller's multiplier), or token rates (SPEC §3.6) with `baseCost` as the part per call.
public struct ActionCost: Sendable, Equatable {
    public var actionType: String
    /// Cost in actions before the caller's multiplier; for a token-priced action, the fixed
    /// part of every call (`perCall`).
    public var baseCost: Amount
    /// Actions per 1,000,000 tokens of each kind; `nil` for an action priced per call.
    public var tokenRates: TokenRates?
    /// Starts at 1 and grows by one with every change; recorded on each decision.
    public var version: Int64
    /// Unix seconds.
    public var updatedAt: Int64

    public init(actionType: String, baseCost: Amount, tokenRates: TokenRates? = nil, version: Int64, updatedAt: Int64) {
        self.actionType = actionType
        self.baseCost = baseCost
        self.tokenRates = tokenRates
        self.version = version
        self.updatedAt = updatedAt
    }
}

/// The catalog written by the first migration, so that a new installation is usable at once.
public enum DefaultCatalog {
    /// Base costs in actions: a simple LLM call is the unit everything else is measured in.
    public static let actionCosts: [(String, Amount)] = [
        ("SIMPLE_LLM", Amount(units: 1)),
        ("COMPLEX_LLM", Amount(units: 5)),
        ("TOOL_USE", Amount(micros: 500_000)),
        ("PROOF_VERIFICATION", Amount(units: 10)),
        ("CONSERVATION_ORACLE", Amount(units: 3)),
        ("SENTINEL_MONITORING_HOUR", Amount(units: 2)),
    ]

    public static let plans: [Plan] = [
        Plan(id: "free", name: "Free", monthlyAllowance: Amount(units: 1_000), overagePolicy: .block, overageRate: .zero, priceCents: 0),
        Plan(id: "prepaid", name: "Prepaid", monthlyAllowance: .zero, overagePolicy: .credits, overageRate: Amount(micros: 100_000), priceCents: 0),
        Plan(id: "pro", name: "Pro", monthlyAllowance: Amount(units: 50_000), overagePolicy: .credits, overageRate: Amount(micros: 80_000), priceCents: 4_900),
    ]
}
