import Foundation
import TributeCore

/// One decision of a workspace's log (`GET /v1/workspaces/{id}/decisions`): calls, and the
/// steps of holds.
public struct DecisionEntry: Sendable, Equatable {
    /// What made the decision.
    public enum Kind: Sendable, Hashable {
        /// authorize-and-debit.
        case call
        /// A hold made (or refused): its amounts are held, not spent.
        case hold
        /// What a hold charged.
        case commit
        /// A hold given back by its caller.
        case release
        /// A hold given back by the clock.
        case expiry
        case unknown(String)

        /// The server's words are TributeCore's `DecisionKind`.
        init(rawValue: String) {
            self = switch DecisionKind(rawValue: rawValue) {
            case .call: .call
            case .hold: .hold
            case .commit: .commit
            case .release: .release
            case .expiry: .expiry
            case nil: .unknown(rawValue)
            }
        }
    }

    public let id: String
    public let workspaceId: String
    public let createdAt: Date
    public let kind: Kind
    public let actionType: String
    public let success: Bool
    public let reason: Decision.Reason
    public let actionsCharged: Amount
    public let fromAllowance: Amount
    public let debitAmount: Amount
    public let userId: String?
    public let agentId: String?
    public let runId: String?
    public let costVersion: Int64
    public let context: [String: JSON]?
    public let transactionId: String?
}

/// A page of decisions, newest first; pass `nextCursor` for the next one.
public struct DecisionPage: Sendable, Equatable {
    public let items: [DecisionEntry]
    /// `nil` on the last page.
    public let nextCursor: String?
}

/// Which decisions a page lists.
public enum DecisionOutcome: String, Sendable {
    case approved
    case denied
}

extension DecisionEntry {
    init(_ fields: AnswerFields) throws {
        self.init(
            id: try fields.string("id"), workspaceId: try fields.string("workspaceId"), createdAt: try fields.time("createdAt"),
            kind: Kind(rawValue: try fields.string("kind")), actionType: try fields.string("actionType"), success: try fields.bool("success"),
            reason: Decision.Reason(rawValue: try fields.string("reason")), actionsCharged: try fields.amount("actionsCharged"),
            fromAllowance: try fields.amount("fromAllowance"), debitAmount: try fields.amount("debitAmount"),
            userId: try fields.optionalString("userId"), agentId: try fields.optionalString("agentId"), runId: try fields.optionalString("runId"),
            costVersion: try fields.int("costVersion"), context: try fields.optionalObject("context"),
            transactionId: try fields.optionalString("transactionId"))
    }
}

extension DecisionPage {
    init(_ fields: AnswerFields) throws {
        self.init(
            items: try fields.array("items").map { try DecisionEntry(AnswerFields($0, what: "decision", status: fields.status)) },
            nextCursor: try fields.optionalString("nextCursor"))
    }
}
