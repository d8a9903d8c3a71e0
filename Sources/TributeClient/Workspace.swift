import Foundation
import TributeCore

/// A workspace with its period, balance and allowance (`GET /v1/workspaces/{id}`).
public struct Workspace: Sendable, Equatable {
    public enum Status: Sendable, Hashable {
        case active
        case suspended
        case unknown(String)

        /// The server's words are TributeCore's `WorkspaceStatus`.
        init(rawValue: String) {
            self = switch WorkspaceStatus(rawValue: rawValue) {
            case .active: .active
            case .suspended: .suspended
            case nil: .unknown(rawValue)
            }
        }
    }

    public let id: String
    public let name: String
    public let planId: String
    public let status: Status
    /// The day of the month periods start on, `YYYY-MM-DD`.
    public let anchorDate: String
    public let periodStart: Date
    public let periodEnd: Date
    /// Actions left in the period, net of open holds.
    public let remainingAllowance: Amount
    /// Credits in the wallet, net of open holds.
    public let remainingBalance: Amount
    /// Credits open holds hold.
    public let heldAmount: Amount
    /// Actions of the allowance open holds hold.
    public let heldAllowance: Amount
    public let lowBalanceThreshold: Amount?
    public let createdAt: Date
}

extension Workspace {
    init(_ fields: AnswerFields) throws {
        let period = try fields.objectFields("period")
        self.init(
            id: try fields.string("id"), name: try fields.string("name"), planId: try fields.string("planId"),
            status: Status(rawValue: try fields.string("status")), anchorDate: try fields.string("anchorDate"),
            periodStart: try period.time("start"), periodEnd: try period.time("end"),
            remainingAllowance: try fields.amount("remainingAllowance"), remainingBalance: try fields.amount("remainingBalance"),
            heldAmount: try fields.amount("heldAmount"), heldAllowance: try fields.amount("heldAllowance"),
            lowBalanceThreshold: try fields.optionalAmount("lowBalanceThreshold"), createdAt: try fields.time("createdAt"))
    }
}
