import Foundation
import TributeCore

/// A hold as it now stands (`hold(id:)`, `extend`, `release`).
public struct HoldState: Sendable, Equatable {
    public enum Status: Sendable, Hashable, CustomStringConvertible {
        case open
        case committed
        case released
        /// Past its `expiresAt`: its amounts are free again.
        case expired
        case unknown(String)

        /// The server's words are TributeCore's `HoldRecord.Status`; this enumeration adds
        /// only `unknown`.
        public init(rawValue: String) {
            self = switch HoldRecord.Status(rawValue: rawValue) {
            case .open: .open
            case .committed: .committed
            case .released: .released
            case .expired: .expired
            case nil: .unknown(rawValue)
            }
        }

        public var rawValue: String {
            switch self {
            case .open: HoldRecord.Status.open.rawValue
            case .committed: HoldRecord.Status.committed.rawValue
            case .released: HoldRecord.Status.released.rawValue
            case .expired: HoldRecord.Status.expired.rawValue
            case .unknown(let text): text
            }
        }

        public var description: String { rawValue }
    }

    public let id: String
    public let workspaceId: String
    public let status: Status
    public let actionType: String
    public let userId: String?
    public let agentId: String?
    public let runId: String?
    /// Actions still held.
    public let heldActions: Amount
    /// Of those, the actions held from the allowance.
    public let heldAllowance: Amount
    /// Credits still held.
    public let heldAmount: Amount
    /// Actions charged by commits so far.
    public let committedActions: Amount
    /// Credits charged by commits so far.
    public let committedAmount: Amount
    public let costVersion: Int64
    public let createdAt: Date
    public let expiresAt: Date
    /// The release's decision, on the answer of `release(holdId:)` only.
    public let releaseDecisionId: String?
    /// The server replayed the first answer to this idempotency key (`release` only).
    public let replayed: Bool
}

extension HoldState {
    init(_ fields: AnswerFields, replayed: Bool = false) throws {
        self.init(
            id: try fields.string("id"), workspaceId: try fields.string("workspaceId"), status: Status(rawValue: try fields.string("status")),
            actionType: try fields.string("actionType"), userId: try fields.optionalString("userId"), agentId: try fields.optionalString("agentId"),
            runId: try fields.optionalString("runId"), heldActions: try fields.amount("heldActions"), heldAllowance: try fields.amount("heldAllowance"),
            heldAmount: try fields.amount("heldAmount"), committedActions: try fields.amount("committedActions"),
            committedAmount: try fields.amount("committedAmount"), costVersion: try fields.int("costVersion"), createdAt: try fields.time("createdAt"),
            expiresAt: try fields.time("expiresAt"), releaseDecisionId: try fields.optionalString("decisionId"), replayed: replayed)
    }
}
