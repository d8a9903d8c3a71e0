/// The two units the ledger counts; postings of one transaction sum to zero in each.
public enum LedgerUnit: String, Sendable, CaseIterable {
    case actions
    case credits
}

/// The kinds of ledger account. Workspace accounts never go below zero; system accounts are
/// the other side of every movement and may.
public enum AccountKind: String, Sendable, CaseIterable {
    /// A workspace's prepaid credits.
    case wallet
    /// A workspace's actions left in the current period.
    case allowance
    /// System: where each period's allowance comes from.
    case allowanceIssued = "allowance_issued"
    /// System: allowance actions consumed by approved actions.
    case usage
    /// System: allowance left unused when a period ended.
    case allowanceLapsed = "allowance_lapsed"
    /// System: credits spent on overage.
    case revenue
    /// System: where admin credit grants come from.
    case grants
    /// System: credits of grants that expired unspent.
    case expired
    /// System: payments clearing, where purchased credits come from and refunds go back to.
    case payments
    /// A workspace's allowance held by open holds (SPEC §3.1).
    case heldAllowance = "held_allowance"
    /// A workspace's credits held by open holds.
    case heldCredits = "held_credits"

    public var unit: LedgerUnit {
        switch self {
        case .wallet, .revenue, .grants, .expired, .payments, .heldCredits: .credits
        case .allowance, .allowanceIssued, .usage, .allowanceLapsed, .heldAllowance: .actions
        }
    }

    /// Whether the account belongs to a workspace (and so must never go negative).
    public var isWorkspaceAccount: Bool { self == .wallet || self == .allowance || self == .heldAllowance || self == .heldCredits }

    /// Whether the balance may go below zero.
    public var allowsNegative: Bool { !isWorkspaceAccount }
}

/// Names one ledger account: a workspace's own, or a system account.
public struct AccountRef: Hashable, Sendable, CustomStringConvertible {
    public let kind: AccountKind
    /// `nil` for system accounts.
    public let workspaceId: String?

    public init(kind: AccountKind, workspaceId: String?) {
        precondition(kind.isWorkspaceAccount == (workspaceId != nil), "workspace accounts need a workspace, system accounts none")
        self.kind = kind
        self.workspaceId = workspaceId
    }

    public static func wallet(_ workspaceId: String) -> AccountRef { AccountRef(kind: .wallet, workspaceId: workspaceId) }
    public static func allowance(_ workspaceId: String) -> AccountRef { AccountRef(kind: .allowance, workspaceId: workspaceId) }
    public static func system(_ kind: AccountKind) -> AccountRef { AccountRef(kind: kind, workspaceId: nil) }

    /// Reads `description` back. - Returns: `nil` for text it never writes.
    public init?(parsing text: String) {
        if text.hasPrefix("system:") {
            guard let kind = AccountKind(rawValue: String(text.dropFirst("system:".count))), !kind.isWorkspaceAccount else { return nil }
            self.init(kind: kind, workspaceId: nil)
        } else if text.hasPrefix("workspace:"), let colon = text.lastIndex(of: ":") {
            let id = text[text.index(text.startIndex, offsetBy: "workspace:".count)..<colon]
            guard !id.isEmpty, let kind = AccountKind(rawValue: String(text[text.index(after: colon)...])), kind.isWorkspaceAccount else { return nil }
            self.init(kind: kind, workspaceId: String(id))
        } else {
            return nil
        }
    }

    /// `workspace:<id>:wallet` or `system:revenue`.
    public var description: String {
        if let workspaceId { "workspace:\(workspaceId):\(kind.rawValue)" } else { "system:\(kind.rawValue)" }
    }
}

/// One leg of a transaction: `amount` added to `account` (negative takes away).
public struct Posting: Sendable, Equatable {
    public let account: AccountRef
    public let amount: Amount

    public init(account: AccountRef, amount: Amount) {
        self.account = account
        self.amount = amount
    }

    public var unit: LedgerUnit { account.kind.unit }

    /// The balance of `account` after this posting: the one bound on every stored balance,
    /// workspace and system accounts alike, so that no sum of accepted amounts can pass
    /// what an amount holds.
    /// - Throws: `TributeError.amountTooLarge` when the result would pass `Amount.max` in
    ///   magnitude.
    public func applied(to balance: Amount) throws(TributeError) -> Amount {
        guard let next = balance.adding(amount) else { throw SystemBalances.tooLarge(account) }
        return next
    }
}

/// A balanced set of postings, applied atomically.
public struct LedgerTransaction: Sendable {
    /// What a ledger transaction records.
    public enum Kind: String, Sendable, CaseIterable {
        case debit
        case creditGrant = "credit_grant"
        case grantExpiry = "grant_expiry"
        case allowanceReset = "allowance_reset"
        case creditPurchase = "credit_purchase"
        case creditRefund = "credit_refund"
        /// System accounts of one unit netted against each other (see `SystemNetting`).
        case systemNetting = "system_netting"
        /// An admin's correction: the postings of an earlier transaction, reversed.
        case reversal
        /// An estimate moved into the workspace's hold accounts (SPEC §3.1).
        case hold
        /// What a hold charges of what it held.
        case holdCommit = "hold_commit"
        /// What a hold gives back: released, expired, or the rest after a final commit.
        case holdRelease = "hold_release"
    }

    public let kind: Kind
    public let postings: [Posting]

    /// Why a set of postings is not a valid transaction.
    public enum Invalid: Error, Equatable, Sendable {
        case unbalanced(LedgerUnit)
        case empty
    }

    /// Builds a transaction, dropping zero postings.
    /// - Throws: `Invalid` unless postings remain and they sum to zero in every unit.
    public init(kind: Kind, postings: [Posting]) throws(Invalid) {
        let nonZero = postings.filter { !$0.amount.isZero }
        guard nonZero.count >= 2 else { throw .empty }
        for unit in LedgerUnit.allCases {
            var sum = Amount.zero
            for posting in nonZero where posting.unit == unit {
                guard let next = sum.adding(posting.amount) else { throw .unbalanced(unit) }
                sum = next
            }
            guard sum.isZero else { throw .unbalanced(unit) }
        }
        self.kind = kind
        self.postings = nonZero
    }

    /// A transfer of `amount` from one account to another of the same unit.
    public static func transfer(_ kind: Kind, _ amount: Amount, from source: AccountRef, to destination: AccountRef) throws(Invalid) -> LedgerTransaction {
        try LedgerTransaction(kind: kind, postings: [Posting(account: source, amount: -amount), Posting(account: destination, amount: amount)])
    }
}

/// The balances of the system accounts, as a hot path keeps them between calls, so that
/// each call's postings are checked against the bound before anything is written.
///
/// Held as `Int64` micro-units, wider than `Amount.max`: a total read from PostgreSQL's
/// shards may have passed the bound by what concurrent batches added, and `settling`
/// brings it back.
public struct SystemBalances: Sendable, Equatable {
    public private(set) var micros: [AccountKind: Int64]

    public init(micros: [AccountKind: Int64] = [:]) { self.micros = micros }

    public init(_ balances: [AccountKind: Amount]) { self.micros = balances.mapValues(\.micros) }

    public subscript(_ kind: AccountKind) -> Int64 { micros[kind] ?? 0 }

    /// These balances after `postings` (their system ones), and the netting transaction to
    /// append after them when some account would otherwise pass `Amount.max`
    /// (`SystemNetting`): a shared lifetime counter never refuses a call while the
    /// workspaces' own balances are within the bound.
    /// - Throws: `TributeError.amountTooLarge` when even netted an account would pass it.
    public func settling(_ postings: some Sequence<Posting>) throws(TributeError) -> (balances: SystemBalances, netting: LedgerTransaction?) {
        var after = self
        for posting in postings where posting.account.workspaceId == nil {
            let (sum, overflow) = after[posting.account.kind].addingReportingOverflow(posting.amount.micros)
            guard !overflow else { throw SystemBalances.tooLarge(posting.account) }
            after.micros[posting.account.kind] = sum
        }
        guard after.micros.values.contains(where: { $0.magnitude > Amount.max.micros.magnitude }) else { return (after, nil) }
        let netting = SystemNetting.transaction(after, threshold: Amount.max.micros)
        if let netting {
            for posting in netting.postings { after.micros[posting.account.kind, default: 0] += posting.amount.micros }
        }
        // Refused only if an account past the bound grew: one that concurrent writes took
        // past it (PostgreSQL's unlocked shard totals) still takes postings that shrink it.
        for (kind, micros) in after.micros where micros.magnitude > Amount.max.micros.magnitude && micros.magnitude > self[kind].magnitude {
            throw SystemBalances.tooLarge(.system(kind))
        }
        return (after, netting)
    }

    static func tooLarge(_ account: AccountRef) -> TributeError {
        .amountTooLarge("This would take \(account) past the largest amount an account holds (\(Amount.max))")
    }
}
