import TributeCore

/// What a hold's commit charged: the decision fields for it, the hold's status after it, and
/// what it still holds. The decision's fields read directly: `commit.actionsCharged`.
@dynamicMemberLookup
public struct Commit: Sendable, Equatable {
    public let decision: Decision
    /// `nil` only for the commit of a hold allowed locally (`decision.recorded == false`).
    public let holdId: String?
    /// `.committed`, or `.open` after a commit with `final: false`.
    public let status: HoldState.Status
    /// Actions still held.
    public let remainingHeld: Amount
    /// Credits still held.
    public let remainingHeldAmount: Amount

    public init(decision: Decision, holdId: String?, status: HoldState.Status, remainingHeld: Amount, remainingHeldAmount: Amount) {
        self.decision = decision
        self.holdId = holdId
        self.status = status
        self.remainingHeld = remainingHeld
        self.remainingHeldAmount = remainingHeldAmount
    }

    public subscript<Value>(dynamicMember keyPath: KeyPath<Decision, Value>) -> Value { decision[keyPath: keyPath] }
}

extension Commit {
    init(_ fields: AnswerFields, replayed: Bool) throws {
        self.init(
            decision: try Decision(fields, replayed: replayed), holdId: try fields.string("holdId"),
            status: HoldState.Status(rawValue: try fields.string("status")), remainingHeld: try fields.amount("remainingHeld"),
            remainingHeldAmount: try fields.amount("remainingHeldAmount"))
    }

    /// The commit of a hold allowed locally: nothing to send, nothing recorded.
    static let local = Commit(decision: .local, holdId: nil, status: .committed, remainingHeld: .zero, remainingHeldAmount: .zero)
}
