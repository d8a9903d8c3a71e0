/// What `POST /v1/transactions/{id}/reverse` appended.
public struct Reversal: Sendable {
    public var transaction: TransactionView
    public var decision: DecisionRecord

    public init(transaction: TransactionView, decision: DecisionRecord) {
        self.transaction = transaction
        self.decision = decision
    }
}
