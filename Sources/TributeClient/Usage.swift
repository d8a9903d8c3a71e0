import Foundation
import TributeCore

/// A workspace's usage over a range of days (`GET /v1/workspaces/{id}/usage`).
public struct Usage: Sendable, Equatable {
    /// Calls, actions and credits of one action type.
    public struct ActionTypeTotals: Sendable, Equatable {
        public let count: Int64
        public let actions: Amount
        public let credits: Amount
    }

    /// Actions and credits of one day (UTC).
    public struct Day: Sendable, Equatable {
        /// `YYYY-MM-DD`.
        public let date: String
        public let actions: Amount
        public let credits: Amount
    }

    /// Actions and credits of one `userId`.
    public struct UserTotals: Sendable, Equatable {
        public let userId: String
        public let actions: Amount
        public let credits: Amount
    }

    public let workspaceId: String
    public let from: Date
    public let to: Date
    public let remainingBalance: Amount
    public let remainingAllowance: Amount
    public let totalActions: Amount
    public let totalCreditsSpent: Amount
    public let byActionType: [String: ActionTypeTotals]
    public let daily: [Day]
    public let topUsers: [UserTotals]
}

extension Usage {
    init(_ fields: AnswerFields) throws {
        var byActionType: [String: ActionTypeTotals] = [:]
        let types = try fields.objectFields("byActionType")
        for name in types.object.keys {
            let totals = try types.objectFields(name)
            byActionType[name] = ActionTypeTotals(count: try totals.int("count"), actions: try totals.amount("actions"), credits: try totals.amount("credits"))
        }
        let daily = try fields.array("daily").map { item in
            let day = try AnswerFields(item, what: "usage day", status: fields.status)
            return Day(date: try day.string("date"), actions: try day.amount("actions"), credits: try day.amount("credits"))
        }
        let topUsers = try fields.array("topUsers").map { item in
            let user = try AnswerFields(item, what: "usage user", status: fields.status)
            return UserTotals(userId: try user.string("userId"), actions: try user.amount("actions"), credits: try user.amount("credits"))
        }
        self.init(
            workspaceId: try fields.string("workspaceId"), from: try fields.time("from"), to: try fields.time("to"),
            remainingBalance: try fields.amount("remainingBalance"), remainingAllowance: try fields.amount("remainingAllowance"),
            totalActions: try fields.amount("totalActions"), totalCreditsSpent: try fields.amount("totalCreditsSpent"),
            byActionType: byActionType, daily: daily, topUsers: topUsers)
    }
}
