/// What explains one decision beyond its amounts: the base cost and multiplier it was
/// priced at, the grants its credits came from and the budgets it was checked against; for
/// a reversal, what it reverses and why. Stored with the decision and hashed into the chain
/// in its canonical text (`encoded`), so an explanation cannot be edited unnoticed.
public struct ChargeExplanation: Sendable, Equatable {
    /// The action's base cost at `costVersion`.
    public var baseCost: Amount
    public var costMultiplier: Amount
    /// Credits taken from each grant, in the order taken.
    public var grants: [GrantDraw]
    /// The budgets of the call's scopes that existed, as they stood before it.
    public var budgets: [BudgetCheck]
    /// For a reversal: the transaction it reverses.
    public var reverses: String?
    /// For a reversal: the reason the admin gave.
    public var note: String?
    /// For a step of a hold: the hold.
    public var hold: String?
    /// For a hold's commit: the start of the period its allowance was held in (Unix
    /// seconds), which a reversal gives allowance back to, not the period of the commit.
    public var periodStart: Int64?
    /// For a hold's commit (the final one), release or expiry: what went back out of the
    /// hold accounts, which the decision's carried transfer moves (`DecisionTransfer`).
    public var givenBack: GivenBack?
    /// A token-priced call, hold or commit: its tokens and the rates they were priced at,
    /// with `baseCost` as the part per call (SPEC §3.6).
    public var tokens: TokenCharge?

    /// What a hold's settlement gives back: credits to the wallet, allowance to the
    /// allowance, and allowance that lapses (its period ended, or the plan no longer grants it).
    public struct GivenBack: Sendable, Equatable {
        public var credits: Amount
        public var allowance: Amount
        public var lapsed: Amount

        public init(credits: Amount, allowance: Amount, lapsed: Amount) {
            self.credits = credits
            self.allowance = allowance
            self.lapsed = lapsed
        }

        public var isZero: Bool { credits.isZero && allowance.isZero && lapsed.isZero }
    }

    public init(baseCost: Amount, costMultiplier: Amount, grants: [GrantDraw] = [], budgets: [BudgetCheck] = [], reverses: String? = nil, note: String? = nil,
                hold: String? = nil, periodStart: Int64? = nil, tokens: TokenCharge? = nil) {
        self.tokens = tokens
        self.hold = hold
        self.periodStart = periodStart
        self.baseCost = baseCost
        self.costMultiplier = costMultiplier
        self.grants = grants
        self.budgets = budgets
        self.reverses = reverses
        self.note = note
    }

    /// One budget as a decision saw it.
    public struct BudgetCheck: Sendable, Equatable {
        public var scope: BudgetScope
        public var unit: BudgetUnit
        public var period: BudgetPeriod
        public var limit: Amount
        public var usedBefore: Amount

        public init(scope: BudgetScope, unit: BudgetUnit, period: BudgetPeriod, limit: Amount, usedBefore: Amount) {
            self.scope = scope
            self.unit = unit
            self.period = period
            self.limit = limit
            self.usedBefore = usedBefore
        }

        public init(_ budget: Budget) {
            self.init(scope: budget.scope, unit: budget.unit, period: budget.period, limit: budget.limit, usedBefore: budget.used)
        }
    }

    /// The multiplier of a call that names none, which the canonical text leaves out (a
    /// debit's explanation is stored with every debit; older ones keep their `m` of 1).
    public static let defaultMultiplier = Amount(units: 1)

    /// The canonical text: compact JSON with sorted one-letter keys, amounts in integer
    /// micro-units and empty parts left out — `x` what a hold's settlement gave back as
    /// `[credits, allowance, lapsed]`, `b` base cost (left out when it equals the decision's
    /// `actionsCharged`, as it does for most calls: the row has it), `g` grants as `[id, micros]`,
    /// `h` the hold, `m` multiplier (left out when 1), `n` note, `p` a commit's hold period, `r` the charge reversed, `u` budgets as `[scope, unit,
    /// period, limit, usedBefore]`, `t` a token-priced charge's `[tokens, rate]` for each
    /// `TokenKind` in order (`0` for a kind with neither) — the same bytes for the same explanation on every
    /// backend. Short, and written without building a dictionary, because it is built,
    /// hashed and stored for every decision on the writer's thread.
    /// - Parameter actionsCharged: the decision's, which `decoding` is given back.
    public func encoded(actionsCharged: Amount) -> String {
        var output = "{"
        output.reserveCapacity(48 + 48 * grants.count + 64 * budgets.count)
        // Each part after the first opens with a comma.
        var first = true
        func key(_ name: String) {
            output += first ? "\"" : ",\""
            output += name
            output += "\":"
            first = false
        }
        if baseCost != actionsCharged {
            key("b")
            output += String(baseCost.micros)
        }
        if !grants.isEmpty {
            key("g")
            GrantDraw.write(grants, to: &output)
        }
        if let hold {
            key("h")
            JSON.writeString(hold, to: &output)
        }
        if costMultiplier != Self.defaultMultiplier {
            key("m")
            output += String(costMultiplier.micros)
        }
        if let note {
            key("n")
            JSON.writeString(note, to: &output)
        }
        if let periodStart {
            key("p")
            output += String(periodStart)
        }
        if let reverses {
            key("r")
            JSON.writeString(reverses, to: &output)
        }
        if let tokens {
            key("t")
            output += "["
            for (index, kind) in TokenKind.allCases.enumerated() {
                if index > 0 { output += "," }
                let (count, rate) = (tokens.usage[kind], tokens.rates[kind].micros)
                output += count == 0 && rate == 0 ? "0" : "[\(count),\(rate)]"
            }
            output += "]"
        }
        if !budgets.isEmpty {
            key("u")
            output += "["
            for (index, budget) in budgets.enumerated() {
                output += index == 0 ? "[" : ",["
                JSON.writeString(budget.scope.description, to: &output)
                output += ","
                JSON.writeString(budget.unit.rawValue, to: &output)
                output += ","
                JSON.writeString(budget.period.rawValue, to: &output)
                output += ","
                output += String(budget.limit.micros)
                output += ","
                output += String(budget.usedBefore.micros)
                output += "]"
            }
            output += "]"
        }
        if let givenBack, !givenBack.isZero {
            key("x")
            output += "["
            output += String(givenBack.credits.micros)
            output += ","
            output += String(givenBack.allowance.micros)
            output += ","
            output += String(givenBack.lapsed.micros)
            output += "]"
        }
        output += "}"
        return output
    }

    /// The same text as a `JSON` value: what `encoded` must equal, serialized.
    func jsonValue(actionsCharged: Amount) -> JSON {
        var object: [String: JSON] = [:]
        if baseCost != actionsCharged { object["b"] = .int(baseCost.micros) }
        if costMultiplier != Self.defaultMultiplier { object["m"] = .int(costMultiplier.micros) }
        if !grants.isEmpty { object["g"] = .array(grants.map { .array([.string($0.grantId), .int($0.amount.micros)]) }) }
        if !budgets.isEmpty {
            object["u"] = .array(budgets.map {
                .array([.string($0.scope.description), .string($0.unit.rawValue), .string($0.period.rawValue), .int($0.limit.micros), .int($0.usedBefore.micros)])
            })
        }
        if let reverses { object["r"] = .string(reverses) }
        if let tokens {
            object["t"] = .array(TokenKind.allCases.map { kind in
                let (count, rate) = (tokens.usage[kind], tokens.rates[kind].micros)
                return count == 0 && rate == 0 ? .int(0) : .array([.int(count), .int(rate)])
            })
        }
        if let note { object["n"] = .string(note) }
        if let hold { object["h"] = .string(hold) }
        if let periodStart { object["p"] = .int(periodStart) }
        if let givenBack, !givenBack.isZero {
            object["x"] = .array([.int(givenBack.credits.micros), .int(givenBack.allowance.micros), .int(givenBack.lapsed.micros)])
        }
        return .object(object)
    }

    /// Reads the canonical text back.
    /// - Parameter actionsCharged: the decision's: the base cost when the text leaves it out.
    /// - Returns: `nil` for text `encoded` never writes.
    public init?(decoding text: String, actionsCharged: Amount) {
        guard let object = (try? JSON.parse(Array(text.utf8)))?.objectValue else { return nil }
        let baseCost = object["b"].map { $0.int64Value } ?? actionsCharged.micros
        guard let baseCost else { return nil }
        let multiplier = object["m"].map { $0.int64Value } ?? Self.defaultMultiplier.micros
        guard let multiplier else { return nil }
        var grants: [GrantDraw] = []
        if let list = object["g"] {
            guard case .array(let items) = list else { return nil }
            for item in items {
                guard case .array(let pair) = item, pair.count == 2, let id = pair[0].stringValue, let micros = pair[1].int64Value else { return nil }
                grants.append(GrantDraw(grantId: id, amount: Amount(micros: micros)))
            }
        }
        var budgets: [BudgetCheck] = []
        if let list = object["u"] {
            guard case .array(let items) = list else { return nil }
            for item in items {
                guard case .array(let fields) = item, fields.count == 5, let scope = fields[0].stringValue.flatMap(BudgetScope.init(parsing:)),
                      let unit = fields[1].stringValue.flatMap(BudgetUnit.init(rawValue:)), let period = fields[2].stringValue.flatMap(BudgetPeriod.init(rawValue:)),
                      let limit = fields[3].int64Value, let used = fields[4].int64Value else { return nil }
                budgets.append(BudgetCheck(scope: scope, unit: unit, period: period, limit: Amount(micros: limit), usedBefore: Amount(micros: used)))
            }
        }
        self.init(baseCost: Amount(micros: baseCost), costMultiplier: Amount(micros: multiplier), grants: grants, budgets: budgets,
                  reverses: object["r"]?.stringValue, note: object["n"]?.stringValue, hold: object["h"]?.stringValue,
                  periodStart: object["p"]?.int64Value)
        if let list = object["t"] {
            guard case .array(let items) = list, items.count == TokenKind.allCases.count else { return nil }
            var counts = PerTokenKind<Int64>(inputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 0, reasoningTokens: 0)
            var rates = PerTokenKind<Amount>(inputTokens: .zero, cachedInputTokens: .zero, cacheWriteTokens: .zero, outputTokens: .zero, reasoningTokens: .zero)
            for (kind, item) in zip(TokenKind.allCases, items) {
                if item.int64Value == 0 { continue }
                guard case .array(let pair) = item, pair.count == 2, let count = pair[0].int64Value, let rate = pair[1].int64Value, rate >= 0 else { return nil }
                counts[kind] = count
                rates[kind] = Amount(micros: rate)
            }
            guard let usage = TokenUsage(counts) else { return nil }
            tokens = TokenCharge(usage: usage, rates: TokenRates(rates), perCall: Amount(micros: baseCost))
        }
        if let list = object["x"] {
            guard case .array(let items) = list, items.count == 3, let credits = items[0].int64Value, let allowance = items[1].int64Value,
                  let lapsed = items[2].int64Value else { return nil }
            givenBack = GivenBack(credits: Amount(micros: credits), allowance: Amount(micros: allowance), lapsed: Amount(micros: lapsed))
        }
    }
}

extension JSON {
    /// A whole number that fits `Int64`, as `int(_:)` writes it.
    public var int64Value: Int64? { if case .number(let text) = self { Int64(text) } else { nil } }
}
