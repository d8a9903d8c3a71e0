import TributeCore

/// What a hold's commit charges: the actual cost, at most what is still held.
public enum ActualCost: Sendable, Equatable {
    /// This many actions.
    case actions(Amount)
    /// This multiple of the action's base cost at the hold's cost version (0 charges nothing).
    case costMultiplier(Amount)
    /// A token-priced action's tokens, at the hold's rates (SPEC §3.6): what the model's
    /// `usage` says (`TokenUsage(openAI:)`, `TokenUsage(anthropic:)`, `TokenUsage(gemini:)`).
    case usage(TokenUsage)
    /// Everything still held.
    case everythingHeld

    /// The commit body's fields for this cost.
    var fields: [String: JSON] {
        switch self {
        case .actions(let amount): ["actualActions": .number(amount.description)]
        case .costMultiplier(let multiplier): ["actualCostMultiplier": .number(multiplier.description)]
        case .usage(let usage): ["actualUsage": usage.json]
        case .everythingHeld: [:]
        }
    }
}
