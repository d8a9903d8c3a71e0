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

    public init(baseCost: Amount, costMultiplier: Amount, grants: [GrantDraw] = [], budgets: [BudgetCheck] = [], reverses: String? = nil, note: String? = nil) {
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

    /// The canonical text: JSON with sorted keys and amounts in integer micro-units, the
    /// same bytes for the same explanation on every backend. Written field by field, in the
    /// order `JSON.serialized` sorts them (`jsonValue`), without building a dictionary: this
    /// runs for every decision on the writer's thread.
    public var encoded: String {
        var output = "{\"baseCostMicros\":"
        output.reserveCapacity(128 + 96 * (grants.count + budgets.count))
        output += String(baseCost.micros)
        output += ",\"budgets\":["
        for (index, budget) in budgets.enumerated() {
            if index > 0 { output += "," }
            output += "{\"limitMicros\":"
            output += String(budget.limit.micros)
            output += ",\"period\":"
            JSON.writeString(budget.period.rawValue, to: &output)
            output += ",\"scope\":"
            JSON.writeString(budget.scope.description, to: &output)
            output += ",\"unit\":"
            JSON.writeString(budget.unit.rawValue, to: &output)
            output += ",\"usedBeforeMicros\":"
            output += String(budget.usedBefore.micros)
            output += "}"
        }
        output += "],\"costMultiplierMicros\":"
        output += String(costMultiplier.micros)
        output += ",\"grants\":["
        for (index, draw) in grants.enumerated() {
            if index > 0 { output += "," }
            output += "{\"grantId\":"
            JSON.writeString(draw.grantId, to: &output)
            output += ",\"micros\":"
            output += String(draw.amount.micros)
            output += "}"
        }
        output += "]"
        if let note {
            output += ",\"note\":"
            JSON.writeString(note, to: &output)
        }
        if let reverses {
            output += ",\"reverses\":"
            JSON.writeString(reverses, to: &output)
        }
        output += "}"
        return output
    }

    /// The same text as a `JSON` value: what `encoded` must equal, serialized.
    var jsonValue: JSON {
        var object: [String: JSON] = [
            "baseCostMicros": .int(baseCost.micros), "costMultiplierMicros": .int(costMultiplier.micros),
            "grants": .array(grants.map { .object(["grantId": .string($0.grantId), "micros": .int($0.amount.micros)]) }),
            "budgets": .array(budgets.map {
                .object([
                    "scope": .string($0.scope.description), "unit": .string($0.unit.rawValue), "period": .string($0.period.rawValue),
                    "limitMicros": .int($0.limit.micros), "usedBeforeMicros": .int($0.usedBefore.micros),
                ])
            }),
        ]
        if let reverses { object["reverses"] = .string(reverses) }
        if let note { object["note"] = .string(note) }
        return .object(object)
    }

    /// Reads the canonical text back.
    /// - Returns: `nil` for text `encoded` never writes.
    public init?(decoding text: String) {
        guard let object = (try? JSON.parse(Array(text.utf8)))?.objectValue,
              let baseCost = object["baseCostMicros"]?.int64Value, let multiplier = object["costMultiplierMicros"]?.int64Value,
              case .array(let grantList)? = object["grants"], case .array(let budgetList)? = object["budgets"] else { return nil }
        var grants: [GrantDraw] = []
        for item in grantList {
            guard let fields = item.objectValue, let id = fields["grantId"]?.stringValue, let micros = fields["micros"]?.int64Value else { return nil }
            grants.append(GrantDraw(grantId: id, amount: Amount(micros: micros)))
        }
        var budgets: [BudgetCheck] = []
        for item in budgetList {
            guard let fields = item.objectValue, let scope = fields["scope"]?.stringValue.flatMap(BudgetScope.init(parsing:)),
                  let unit = fields["unit"]?.stringValue.flatMap(BudgetUnit.init(rawValue:)),
                  let period = fields["period"]?.stringValue.flatMap(BudgetPeriod.init(rawValue:)),
                  let limit = fields["limitMicros"]?.int64Value, let used = fields["usedBeforeMicros"]?.int64Value else { return nil }
            budgets.append(BudgetCheck(scope: scope, unit: unit, period: period, limit: Amount(micros: limit), usedBefore: Amount(micros: used)))
        }
        self.init(baseCost: Amount(micros: baseCost), costMultiplier: Amount(micros: multiplier), grants: grants, budgets: budgets,
                  reverses: object["reverses"]?.stringValue, note: object["note"]?.stringValue)
    }
}

extension JSON {
    /// A whole number that fits `Int64`, as `int(_:)` writes it.
    var int64Value: Int64? { if case .number(let text) = self { Int64(text) } else { nil } }
}
