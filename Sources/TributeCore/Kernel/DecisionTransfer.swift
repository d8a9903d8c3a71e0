/// A debit in one row (docs/ledger.md, "One row a debit"): the money an approved decision
/// moves is carried by the decision itself, as a transfer with its legs derived from what
/// the decision records — `fromAllowance` and `debitAmount`, and for a hold's settlement
/// what its explanation says was given back (`ChargeExplanation.givenBack`):
///
/// | decision | legs |
/// | --- | --- |
/// | call | allowance → usage; wallet → revenue |
/// | hold | allowance → held allowance; wallet → held credits |
/// | commit | held allowance → usage; held credits → revenue; and, when final, the rest given back |
/// | release, expiry | the rest given back: held allowance → allowance and allowance lapsed; held credits → wallet |
///
/// It has no transaction or posting rows of its own: its id is the decision's with the
/// `txn` prefix, and its postings are derived here, the one rule every writer, reader and
/// `ledger verify` uses. Decisions written before this shape keep their transaction rows
/// and their stored transaction id, which differs from the derived one, so that their
/// hashes stand.
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

    /// The marker of a given-back part in an explanation's canonical text, which the stores'
    /// SQL looks for as this text does (`TransferRows.carriedCondition`).
    public static let givenBackMarker = "\"x\":["

    /// Whether an approved decision that records these amounts and this explanation moved
    /// anything, and so carries a transfer when it names no transaction row.
    public static func moves(fromAllowance: Amount, credits: Amount, explanation: String?) -> Bool {
        !(fromAllowance.isZero && credits.isZero) || explanation?.contains(givenBackMarker) == true
    }

    /// The transfer's postings, in the order the kernel builds them (zero legs left out).
    /// - Returns: `nil` when they move nothing.
    /// Amounts out of range (an edited row: the kernel writes none) give `nil`, never a trap.
    public static func transaction(kind: DecisionKind, workspaceId: String, fromAllowance: Amount, credits: Amount,
                                   givenBack: ChargeExplanation.GivenBack?) -> LedgerTransaction? {
        func inRange(_ amount: Amount) -> Bool { amount >= .zero && amount <= Amount.max }
        guard inRange(fromAllowance), inRange(credits) else { return nil }
        if let back = givenBack {
            // Each at most `Amount.max`, so their sum cannot overflow before it is compared.
            guard inRange(back.credits), inRange(back.allowance), inRange(back.lapsed), back.allowance + back.lapsed <= Amount.max else { return nil }
        }
        let heldAllowance = AccountRef(kind: .heldAllowance, workspaceId: workspaceId), heldCredits = AccountRef(kind: .heldCredits, workspaceId: workspaceId)
        var postings: [Posting]
        let transactionKind: LedgerTransaction.Kind
        switch kind {
        case .call, .hold:
            let holding = kind == .hold
            transactionKind = holding ? .hold : .debit
            postings = [
                Posting(account: .allowance(workspaceId), amount: -fromAllowance),
                Posting(account: holding ? heldAllowance : .system(.usage), amount: fromAllowance),
                Posting(account: .wallet(workspaceId), amount: -credits),
                Posting(account: holding ? heldCredits : .system(.revenue), amount: credits),
            ]
        case .commit:
            transactionKind = .holdCommit
            postings = [
                Posting(account: heldAllowance, amount: -fromAllowance),
                Posting(account: .system(.usage), amount: fromAllowance),
                Posting(account: heldCredits, amount: -credits),
                Posting(account: .system(.revenue), amount: credits),
            ]
        case .release, .expiry:
            transactionKind = .holdRelease
            postings = []
        }
        if kind != .call && kind != .hold, let back = givenBack {
            postings += givenBackPostings(back, workspaceId: workspaceId)
        }
        return try? LedgerTransaction(kind: transactionKind, postings: postings)
    }

    /// What a hold's settlement moves out of the hold accounts.
    public static func givenBackPostings(_ back: ChargeExplanation.GivenBack, workspaceId: String) -> [Posting] {
        [
            Posting(account: AccountRef(kind: .heldAllowance, workspaceId: workspaceId), amount: -(back.allowance + back.lapsed)),
            Posting(account: .allowance(workspaceId), amount: back.allowance),
            Posting(account: .system(.allowanceLapsed), amount: back.lapsed),
            Posting(account: AccountRef(kind: .heldCredits, workspaceId: workspaceId), amount: -back.credits),
            Posting(account: .wallet(workspaceId), amount: back.credits),
        ]
    }
}

extension PendingTransaction {
    /// The transfer the decision `decisionId` carries: its id derived from the decision's,
    /// no rows of its own.
    static func carried(_ transaction: LedgerTransaction, decisionId: String, workspaceId: String, atMillis: Int64) -> PendingTransaction {
        var pending = PendingTransaction(transaction, id: DecisionTransfer.id(decisionId: decisionId), workspaceId: workspaceId, decisionId: decisionId, atMillis: atMillis)
        pending.carriedByDecision = true
        return pending
    }
}

extension DecisionRecord {
    /// Whether the decision carries its own transfer (`DecisionTransfer`): as the kernel
    /// writes it, approved and naming the transfer id derived from its own; stored without
    /// a transaction id, which is derived on reading.
    public var carriesTransfer: Bool {
        reason == .approved && transactionId == DecisionTransfer.id(decisionId: id)
    }

    /// Fills in the transaction id of a decision read back whose stored one is empty, when
    /// it carries its own transfer.
    public mutating func deriveTransferId() {
        guard transactionId == nil, reason == .approved,
              DecisionTransfer.moves(fromAllowance: fromAllowance, credits: creditsDebited, explanation: explanation) else { return }
        transactionId = DecisionTransfer.id(decisionId: id)
    }

    /// The transfer the decision carries, as a transaction with its postings; `nil` when it
    /// carries none.
    public var carriedTransaction: PendingTransaction? {
        guard carriesTransfer else { return nil }
        let givenBack = kind == .call || kind == .hold ? nil : chargeExplanation?.givenBack
        guard let transaction = DecisionTransfer.transaction(kind: kind, workspaceId: workspaceId, fromAllowance: fromAllowance, credits: creditsDebited,
                                                             givenBack: givenBack) else { return nil }
        return .carried(transaction, decisionId: id, workspaceId: workspaceId, atMillis: createdAtMillis)
    }
}

extension TransactionView {
    /// A transaction as the API shows it, from what the kernel built or a decision carries.
    public init(_ pending: PendingTransaction) {
        self.init(id: pending.id, workspaceId: pending.workspaceId, kind: pending.kind.rawValue, createdAtMillis: pending.atMillis, decisionId: pending.decisionId,
                  postings: pending.postings.map { ($0.account.description, $0.unit.rawValue, $0.amount) }, reverses: pending.reverses)
    }
}
