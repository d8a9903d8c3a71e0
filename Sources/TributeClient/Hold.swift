import Foundation
import TributeCore

/// A hold as `hold(...)` made it (SPEC §3.1): the decision on the estimate, and when
/// approved the hold's id and expiry. The decision's fields read directly: `hold.success`,
/// `hold.reason`, `hold.actionsCharged` (the estimate held).
@dynamicMemberLookup
public struct Hold: Sendable, Equatable {
    public let decision: Decision
    /// `nil` when denied (a denied hold holds nothing) or allowed locally.
    public let holdId: String?
    /// When the hold expires by itself; `nil` when denied or allowed locally.
    public let expiresAt: Date?

    public init(decision: Decision, holdId: String?, expiresAt: Date?) {
        self.decision = decision
        self.holdId = holdId
        self.expiresAt = expiresAt
    }

    public subscript<Value>(dynamicMember keyPath: KeyPath<Decision, Value>) -> Value { decision[keyPath: keyPath] }
}

extension Hold {
    init(_ fields: AnswerFields, replayed: Bool) throws {
        let decision = try Decision(fields, replayed: replayed)
        self.init(decision: decision, holdId: try fields.optionalString("holdId"), expiresAt: try fields.optionalTime("expiresAt"))
        if decision.success && holdId == nil {
            throw TributeClientError.invalidResponse(status: fields.status, detail: "an approved hold without holdId")
        }
    }
}
