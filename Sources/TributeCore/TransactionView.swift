/// A ledger transaction as the API lists it.
public struct TransactionView: Sendable {
    public var id: String
    public var workspaceId: String?
    public var kind: String
    public var createdAtMillis: Int64
    public var decisionId: String?
    public var postings: [(account: String, unit: String, amount: Amount)]
    /// For a reversal: the transaction it reverses.
    public var reverses: String?

    public init(id: String, workspaceId: String?, kind: String, createdAtMillis: Int64, decisionId: String?, postings: [(account: String, unit: String, amount: Amount)], reverses: String? = nil) {
        self.reverses = reverses
        self.id = id
        self.workspaceId = workspaceId
        self.kind = kind
        self.createdAtMillis = createdAtMillis
        self.decisionId = decisionId
        self.postings = postings
    }
}
