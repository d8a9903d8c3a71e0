import Foundation
import TributeCore

/// A call the client allowed by itself under `.failOpen` while Tribute could not be reached:
/// nothing was priced, debited or recorded. Report it when Tribute is back
/// (`TributeClient.report(_:)`), or bill it some other way.
public struct UnrecordedAction: Sendable, Equatable {
    /// Which call was allowed.
    public enum Kind: Sendable, Hashable {
        case authorizeAndDebit
        /// A hold, recorded at its estimate (the most it could cost).
        case hold
    }

    public let kind: Kind
    public let workspaceId: String
    public let actionType: String
    public let costMultiplier: Amount
    /// A token-priced call's tokens (a hold's: its estimate).
    public let usage: TokenUsage?
    public let userId: String?
    public let agentId: String?
    public let runId: String?
    public let context: [String: JSON]?
    /// The call's idempotency key: a report of an `.authorizeAndDebit` reuses it, so that a
    /// call the server did apply (its answer was lost) is not charged twice.
    public let idempotencyKey: String
    /// When the client allowed it.
    public let allowedAt: Date
    /// Why Tribute counted as unreachable: the last failure of the call's attempts.
    public let lastFailure: String
}
