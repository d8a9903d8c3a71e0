/// A debit in one row (docs/ledger.md, "One row a debit"): the money an approved call or a
/// hold's creation moves is carried by its decision, as a transfer with at most one leg per
/// unit — allowance → usage (or held allowance) for `fromAllowance`, wallet → revenue (or
/// held credits) for `creditsDebited`. It has no transaction or posting rows of its own:
/// its id is the decision's with the `txn` prefix, and its postings are derived here, the
/// one rule every writer, reader and `ledger verify` uses.
///
/// Decisions written before this shape keep their transaction rows and their stored
/// transaction id, which differs from the derived one, so that their hashes stand.
public enum DecisionTransfer {
    /// The transfer id of the decision `decisionId`: `txn_` and what follows the decision's
    /// prefix. Ids are unique by their random part, whatever their prefix.
    public static func id(decisionId: String) -> String {
        guard let underscore = decisionId.firstIndex(of: "_") else { return "txn_" + decisionId }
        return "txn" + decisionId[underscore...]
    }

    /// The decision id a transfer id was derived from, for the prefix given (`dec`).
    public static func decisionId(transferId: String, decisionPrefix: String = "dec") -> String? {
        guard transferId.hasPrefix("txn_") else { return nil }
        return decisionPrefix + transferId.dropFirst(3)
    }

    /// Whether a decision of this kind and outcome that moved these amounts carries its own
    /// transfer: an approval of a call or a hold that moved anything.
    public static func carried(kind: DecisionKind, reason: DecisionReason, fromAllowance: Amount, credits: Amount) -> Bool {
        reason == .approved && (kind == .call || kind == .hold) && !(fromAllowance.isZero && credits.isZero)
    }

    /// The transfer's postings, in the order the kernel writes them (zero legs left out).
    /// - Returns: `nil` when the amounts do not balance into a transfer (none moved).
    public static func transaction(kind: DecisionKind, workspaceId: String, fromAllowance: Amount, credits: Amount) -> LedgerTransaction? {
        let holding = kind == .hold
        let actionsTo: AccountRef = holding ? AccountRef(kind: .heldAllowance, workspaceId: workspaceId) : .system(.usage)
        let creditsTo: AccountRef = holding ? AccountRef(kind: .heldCredits, workspaceId: workspaceId) : .system(.revenue)
        return try? LedgerTransaction(kind: holding ? .hold : .debit, postings: [
            Posting(account: .allowance(workspaceId), amount: -fromAllowance),
            Posting(account: actionsTo, amount: fromAllowance),
            Posting(account: .wallet(workspaceId), amount: -credits),
            Posting(account: creditsTo, amount: credits),
        ])
    }
}

extension DecisionRecord {
    /// Whether the decision carries its own transfer (`DecisionTransfer`): stored without a
    /// transaction id, which is derived on reading.
    public var carriesTransfer: Bool {
        DecisionTransfer.carried(kind: kind, reason: reason, fromAllowance: fromAllowance, credits: creditsDebited)
            && transactionId == DecisionTransfer.id(decisionId: id)
    }

    /// Fills in the transaction id of a decision read back whose stored one is empty, when
    /// it carries its own transfer.
    public mutating func deriveTransferId() {
        guard transactionId == nil, DecisionTransfer.carried(kind: kind, reason: reason, fromAllowance: fromAllowance, credits: creditsDebited) else { return }
        transactionId = DecisionTransfer.id(decisionId: id)
    }

    /// The transfer the decision carries, as a transaction with its postings; `nil` when it
    /// carries none.
    public var carriedTransaction: PendingTransaction? {
        guard carriesTransfer, let transaction = DecisionTransfer.transaction(kind: kind, workspaceId: workspaceId, fromAllowance: fromAllowance, credits: creditsDebited),
              let transactionId else { return nil }
        var pending = PendingTransaction(transaction, id: transactionId, workspaceId: workspaceId, decisionId: id, atMillis: createdAtMillis)
        pending.carriedByDecision = true
        return pending
    }
}

extension TransactionView {
    /// A transaction as the API shows it, from what the kernel built or a decision carries.
    public init(_ pending: PendingTransaction) {
        self.init(id: pending.id, workspaceId: pending.workspaceId, kind: pending.kind.rawValue, createdAtMillis: pending.atMillis, decisionId: pending.decisionId,
                  postings: pending.postings.map { ($0.account.description, $0.unit.rawValue, $0.amount) }, reverses: pending.reverses)
    }
}
