/// The kinds of token an LLM call is billed for (SPEC §3.6). They are disjoint by
/// definition: `inputTokens` excludes cached and cache-write tokens, `outputTokens` excludes
/// reasoning tokens, so each token is counted in exactly one kind and charged once.
public enum TokenKind: String, Sendable, CaseIterable {
    case inputTokens
    case cachedInputTokens
    case cacheWriteTokens
    case outputTokens
    case reasoningTokens
}

/// One value for each `TokenKind`, in the order of `TokenKind.allCases`: five stored
/// fields, no allocation (a token-priced call builds a few of these on the writer's thread).
public struct PerTokenKind<Value: Sendable & Equatable>: Sendable, Equatable {
    public var inputTokens: Value
    public var cachedInputTokens: Value
    public var cacheWriteTokens: Value
    public var outputTokens: Value
    public var reasoningTokens: Value

    public init(inputTokens: Value, cachedInputTokens: Value, cacheWriteTokens: Value, outputTokens: Value, reasoningTokens: Value) {
        self.inputTokens = inputTokens
        self.cachedInputTokens = cachedInputTokens
        self.cacheWriteTokens = cacheWriteTokens
        self.outputTokens = outputTokens
        self.reasoningTokens = reasoningTokens
    }

    public subscript(kind: TokenKind) -> Value {
        get {
            switch kind {
            case .inputTokens: inputTokens
            case .cachedInputTokens: cachedInputTokens
            case .cacheWriteTokens: cacheWriteTokens
            case .outputTokens: outputTokens
            case .reasoningTokens: reasoningTokens
            }
        }
        set {
            switch kind {
            case .inputTokens: inputTokens = newValue
            case .cachedInputTokens: cachedInputTokens = newValue
            case .cacheWriteTokens: cacheWriteTokens = newValue
            case .outputTokens: outputTokens = newValue
            case .reasoningTokens: reasoningTokens = newValue
            }
        }
    }

    /// The values in the order of `TokenKind.allCases`.
    public var values: [Value] { TokenKind.allCases.map { self[$0] } }
}

/// The tokens of one call, by kind: each a whole number from 0 to `maxTokens`.
public struct TokenUsage: Sendable, Equatable {
    /// The most tokens of one kind a call may report (10⁹).
    public static let maxTokens: Int64 = 1_000_000_000

    public private(set) var counts: PerTokenKind<Int64>

    /// `nil` when a count is negative or above `maxTokens`.
    public init?(_ counts: PerTokenKind<Int64>) {
        guard counts.values.allSatisfy({ (0...TokenUsage.maxTokens).contains($0) }) else { return nil }
        self.counts = counts
    }

    /// A usage from the kinds given; the others are 0. `nil` as `init(_:)`.
    public init?(inputTokens: Int64 = 0, cachedInputTokens: Int64 = 0, cacheWriteTokens: Int64 = 0, outputTokens: Int64 = 0, reasoningTokens: Int64 = 0) {
        self.init(PerTokenKind(inputTokens: inputTokens, cachedInputTokens: cachedInputTokens, cacheWriteTokens: cacheWriteTokens,
                               outputTokens: outputTokens, reasoningTokens: reasoningTokens))
    }

    public subscript(kind: TokenKind) -> Int64 { counts[kind] }

    /// The API's `usage` object: each kind with tokens, by its name (a kind left out is 0).
    /// What the client sends and what an idempotency key's claim covers, so that a request
    /// that spells a 0 and one that leaves it out are the same request.
    public var json: JSON {
        .object(Dictionary(uniqueKeysWithValues: TokenKind.allCases.filter { self[$0] != 0 }.map { ($0.rawValue, JSON.int(self[$0])) }))
    }
}

/// What a token-priced action costs: actions per 1,000,000 tokens of each kind (any may be
/// 0), and a fixed part per call (SPEC §3.6).
public struct TokenRates: Sendable, Equatable {
    /// The tokens a rate is the price of.
    public static let tokensPerRate: Int64 = 1_000_000

    public var rates: PerTokenKind<Amount>

    public init(_ rates: PerTokenKind<Amount>) {
        self.rates = rates
    }

    public subscript(kind: TokenKind) -> Amount { rates[kind] }

    /// The stored text: the five rates in micro-units, comma-separated in the order of
    /// `TokenKind.allCases`, as both stores keep it (`action_types`, `action_cost_versions`
    /// and `holds` have a `token_rates` column, NULL for an action priced per call).
    public var stored: String {
        rates.values.map { String($0.micros) }.joined(separator: ",")
    }

    /// Reads `stored` back: `nil` for text it never writes (not five non-negative integers).
    public init?(stored text: String) {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count == TokenKind.allCases.count else { return nil }
        var values: [Amount] = []
        for part in parts {
            guard part.utf8.count <= 19, part.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let micros = Int64(part), micros <= Amount.max.micros else {
                return nil
            }
            values.append(Amount(micros: micros))
        }
        self.init(PerTokenKind(inputTokens: values[0], cachedInputTokens: values[1], cacheWriteTokens: values[2], outputTokens: values[3],
                               reasoningTokens: values[4]))
    }
}

/// One token-priced charge: what a call used, at which rates, plus the per-call part.
public struct TokenCharge: Sendable, Equatable {
    public var usage: TokenUsage
    public var rates: TokenRates
    public var perCall: Amount

    public init(usage: TokenUsage, rates: TokenRates, perCall: Amount) {
        self.usage = usage
        self.rates = rates
        self.perCall = perCall
    }

    /// `perCall + Σ rate × tokens / 1,000,000`, summed exactly and rounded up once
    /// (`Amount.roundedUp`); `nil` past `Amount.max` (or for a negative rate).
    public var cost: Amount? {
        // In millionths of a micro-unit: the per-call part scaled up, each kind's product as is.
        // At most 5 × 10¹⁸ × 10⁹ plus 10¹⁸ × 10⁶: far inside 128 bits.
        var total = WideSum()
        guard total.add(perCall.micros, times: TokenRates.tokensPerRate) else { return nil }
        for kind in TokenKind.allCases {
            guard total.add(rates[kind].micros, times: usage[kind]) else { return nil }
        }
        return Amount.roundedUp(total, per: TokenRates.tokensPerRate)
    }

    /// One kind's part alone, rounded up by the same rule, for showing: the charge rounds
    /// the exact sum once, so it may be less than the parts shown by under a micro-unit each.
    public func amount(of kind: TokenKind) -> Amount? {
        var product = WideSum()
        guard product.add(rates[kind].micros, times: usage[kind]) else { return nil }
        return Amount.roundedUp(product, per: TokenRates.tokensPerRate)
    }
}
