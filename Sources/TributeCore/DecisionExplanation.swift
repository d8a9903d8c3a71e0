/// One decision with everything that explains it (SPEC §3.5): its record, its explanation,
/// its ledger transaction, and its place in the workspace's hash chain.
public struct DecisionExplanation: Sendable {
    public var seq: Int64
    public var record: DecisionRecord
    public var previousHash: String
    public var hash: String
    /// `nil` for decisions recorded before explanations were kept.
    public var explanation: ChargeExplanation?
    /// `nil` when the decision moved nothing.
    public var transaction: TransactionView?

    public init(seq: Int64, record: DecisionRecord, previousHash: String, hash: String, transaction: TransactionView?) {
        self.seq = seq
        self.record = record
        self.previousHash = previousHash
        self.hash = hash
        self.explanation = record.chargeExplanation
        self.transaction = transaction
    }
}
