/// `POST /v1/holds`, validated: a call priced like `AuthorizeRequest` and held for
/// `ttlSeconds` instead of spent (SPEC §3.1).
public struct HoldRequest: Sendable, Equatable {
    public var call: AuthorizeRequest
    public var ttlSeconds: Int64

    public init(_ call: AuthorizeRequest, ttlSeconds: Int64 = HoldRecord.defaultTTLSeconds) {
        self.call = call
        self.ttlSeconds = ttlSeconds
    }
}

/// What a commit charges: actions, a multiplier of the action's base cost, or a
/// token-priced action's tokens (each priced by the same rule as the estimate).
public enum HoldActual: Sendable, Equatable {
    case actions(Amount)
    case costMultiplier(Amount)
    case usage(TokenUsage)
}

/// `POST /v1/holds/{id}/commit`, validated.
public struct HoldCommit: Sendable, Equatable {
    public var holdId: String
    /// `nil`: everything still held.
    public var actual: HoldActual?
    /// Whether the rest is released (`true`, the default) or stays held for later commits.
    public var final: Bool

    public init(holdId: String, actual: HoldActual?, final: Bool = true) {
        self.holdId = holdId
        self.actual = actual
        self.final = final
    }
}
