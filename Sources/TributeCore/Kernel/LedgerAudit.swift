/// Each rule `tribute ledger verify` checks (SPEC §4), by name: a broken ledger is reported
/// with the rule it breaks, the same on every backend.
public enum LedgerRule: String, Sendable, CaseIterable {
    /// A posting names a transaction or an account that does not exist, or a transaction a
    /// workspace that does not exist.
    case danglingReference = "dangling_reference"
    /// A transaction's postings do not sum to zero in one unit.
    case unbalancedTransaction = "unbalanced_transaction"
    case tooFewPostings = "too_few_postings"
    /// A decision names a transaction that does not exist, or a transaction a decision.
    case missingTransaction = "missing_transaction"
    /// A reversal is not the one its `REVERSED` decision records (the charge it names was
    /// edited), or a charge is reversed twice.
    case reversalMismatch = "reversal_mismatch"
    /// A stored balance differs from the sum of its postings.
    case balanceMismatch = "balance_mismatch"
    case negativeBalance = "negative_balance"
    /// A wallet differs from its grants' unspent credits.
    case walletMismatch = "wallet_mismatch"
    /// A workspace's hold accounts differ from what its open holds still hold (SPEC §3.1).
    case holdMismatch = "hold_mismatch"
    /// A workspace has more allowance left than its plan grants, what the period used (held
    /// allowance included) counted (`AllowanceAudit`).
    case allowanceOverPlan = "allowance_over_plan"
    /// A transaction's legs differ from the amounts its chained decision records
    /// (`DecisionLegs`): its postings were edited.
    case decisionMismatch = "decision_mismatch"
    /// A decision's hash, or its link to the one before it, does not hold: a row was
    /// edited, removed from the middle of a chain, or reordered.
    case chainBroken = "chain_broken"
    /// A workspace's stored head is not the hash its chain ends with: its newest decisions
    /// were removed (or the head edited).
    case chainHeadMismatch = "chain_head_mismatch"
    /// A stored statement differs from the one its period's rows build now (SPEC §3.9): a
    /// row of its period was edited or removed, or written after it was cut.
    case statementMismatch = "statement_mismatch"
    /// No checkpoint with the given digest is stored: the database is older than it.
    case checkpointMissing = "checkpoint_missing"
    /// A stored checkpoint's text no longer gives its digest.
    case checkpointAltered = "checkpoint_altered"
    /// A chain no longer contains the head a checkpoint recorded: decisions recorded then
    /// were removed.
    case checkpointNotReached = "checkpoint_not_reached"
}

/// One broken rule and what broke it.
public struct LedgerViolation: Error, Sendable, Equatable, CustomStringConvertible {
    public var rule: LedgerRule
    public var message: String

    public init(_ rule: LedgerRule, _ message: String) {
        self.rule = rule
        self.message = message
    }

    public var description: String { "\(message) [\(rule.rawValue)]" }
}

/// The result of `tribute ledger verify`.
public struct LedgerReport: Sendable {
    public var accounts: Int
    public var transactions: Int
    public var postings: Int
    public var decisions: Int
    /// The checkpoints proven (their digests).
    public var checkpoints: [String]
    /// The first rule found broken, or `nil` when every rule holds.
    public var violation: LedgerViolation?

    public init(accounts: Int, transactions: Int, postings: Int, decisions: Int, checkpoints: [String] = [], violation: LedgerViolation?) {
        self.accounts = accounts
        self.transactions = transactions
        self.postings = postings
        self.decisions = decisions
        self.checkpoints = checkpoints
        self.violation = violation
    }

    /// The first broken rule, in words.
    public var firstViolation: String? { violation?.description }
}

/// The decision chains' rule, checked over the decision log in `seq` order: a chain per
/// workspace from the genesis hash to the head stored with the workspace. Decisions up to
/// `legacyEndSeq` were written as one chain over every workspace (before chains were kept
/// per workspace) and are checked as such; the first decision after it in each workspace
/// links to that workspace's newest legacy decision.
public struct ChainAudit: Sendable {
    private let legacyEndSeq: Int64
    private var legacyPrevious = DecisionRecord.genesisHash
    /// Each workspace's hash so far.
    public private(set) var heads: [String: String] = [:]
    /// Checkpoint heads not yet met in the walk: (workspace, hash) → checkpoint digest.
    private var awaited: [String: [String: String]] = [:]

    /// - Parameter checkpoints: the checkpoints whose heads the chains must still contain.
    public init(legacyEndSeq: Int64, checkpoints: [LedgerCheckpoint] = []) {
        self.legacyEndSeq = legacyEndSeq
        for checkpoint in checkpoints {
            for head in checkpoint.heads where head.hash != DecisionRecord.genesisHash {
                awaited[head.workspaceId, default: [:]][head.hash] = checkpoint.digest
            }
        }
    }

    /// Checks the next decision in `seq` order against the hash it stores and, on rows that
    /// store it, the one it says comes before it. Decisions written since the lean shape
    /// store no previous hash: their own hash commits to the one before.
    public mutating func check(seq: Int64, _ record: DecisionRecord, storedPrevious: String?, storedHash: String) -> LedgerViolation? {
        let expected = seq <= legacyEndSeq ? legacyPrevious : heads[record.workspaceId] ?? DecisionRecord.genesisHash
        guard storedPrevious.map({ $0 == expected }) ?? true, record.chainHash(previous: expected) == storedHash else {
            return LedgerViolation(.chainBroken, "decision \(record.id) breaks the hash chain of workspace \(record.workspaceId): the row, or one before it, was altered, removed or reordered")
        }
        if seq <= legacyEndSeq { legacyPrevious = storedHash }
        heads[record.workspaceId] = storedHash
        if awaited[record.workspaceId]?.removeValue(forKey: storedHash) != nil, awaited[record.workspaceId]?.isEmpty == true {
            awaited[record.workspaceId] = nil
        }
        return nil
    }

    /// After the walk: every stored head is where its chain ends, and every checkpoint's
    /// heads were met.
    /// - Parameter storedHeads: each workspace's stored head.
    public func finish(storedHeads: [String: String]) -> LedgerViolation? {
        for (id, head) in storedHeads.sorted(by: { $0.key < $1.key }) where head != (heads[id] ?? DecisionRecord.genesisHash) {
            return LedgerViolation(.chainHeadMismatch, "workspace \(id) names a chain head its decisions do not end with: its newest decisions were removed")
        }
        for (id, missing) in awaited.sorted(by: { $0.key < $1.key }) {
            guard let digest = missing.values.sorted().first else { continue }
            return LedgerViolation(.checkpointNotReached, "the chain of workspace \(id) no longer holds a decision checkpoint \(digest) recorded: decisions were removed since")
        }
        return nil
    }
}

/// The words of each violation, the same on every backend.
extension LedgerViolation {
    public static func danglingPosting(transaction: String, account: String) -> LedgerViolation {
        LedgerViolation(.danglingReference, "a posting of transaction \(transaction) to account \(account) names a transaction or an account that does not exist")
    }
    public static func danglingTransaction(_ id: String) -> LedgerViolation {
        LedgerViolation(.danglingReference, "transaction \(id) names a workspace that does not exist")
    }
    public static func unbalanced(_ id: String, unit: String, offMicros: Int64) -> LedgerViolation {
        LedgerViolation(.unbalancedTransaction, "transaction \(id) does not sum to zero in \(unit) (off by \(Amount(micros: offMicros)))")
    }
    public static func tooFewPostings(_ id: String) -> LedgerViolation {
        LedgerViolation(.tooFewPostings, "transaction \(id) has fewer than two postings")
    }
    public static func missingTransaction(decision: String, transaction: String) -> LedgerViolation {
        LedgerViolation(.missingTransaction, "decision \(decision) names transaction \(transaction), which does not exist: it was removed")
    }
    public static func missingDecision(transaction: String, decision: String) -> LedgerViolation {
        LedgerViolation(.missingTransaction, "transaction \(transaction) names decision \(decision), which does not exist: it was removed")
    }
    public static func reversalMismatch(_ transaction: String) -> LedgerViolation {
        LedgerViolation(.reversalMismatch, "reversal \(transaction) does not reverse the charge its decision records, or that charge is reversed twice")
    }
    public static func balanceMismatch(_ account: String, balanceMicros: Int64, postingsMicros: Int64) -> LedgerViolation {
        LedgerViolation(.balanceMismatch, "account \(account) has balance \(Amount(micros: balanceMicros)) but its postings sum to \(Amount(micros: postingsMicros))")
    }
    public static func negative(_ account: String, balanceMicros: Int64) -> LedgerViolation {
        LedgerViolation(.negativeBalance, "account \(account) is negative: \(Amount(micros: balanceMicros))")
    }
    public static func walletMismatch(_ workspace: String, walletMicros: Int64, grantsMicros: Int64) -> LedgerViolation {
        LedgerViolation(.walletMismatch, "wallet of \(workspace) holds \(Amount(micros: walletMicros)) but its grants hold \(Amount(micros: grantsMicros))")
    }
    public static func holdMismatch(_ account: String, balanceMicros: Int64, openHoldsMicros: Int64) -> LedgerViolation {
        LedgerViolation(.holdMismatch, "account \(account) holds \(Amount(micros: balanceMicros)) but its open holds hold \(Amount(micros: openHoldsMicros))")
    }
    public static func decisionMismatch(_ decision: String) -> LedgerViolation {
        LedgerViolation(.decisionMismatch, "the transaction of decision \(decision) moves other amounts or accounts than the decision records: its postings were altered")
    }
    public static func successAltered(_ decision: String) -> LedgerViolation {
        LedgerViolation(.chainBroken, "decision \(decision) says success where its reason says otherwise: the row was altered")
    }
    public static func checkpointMissing(_ digest: String) -> LedgerViolation {
        LedgerViolation(.checkpointMissing, "no checkpoint \(digest) is stored: the database is older than that checkpoint, or it was removed")
    }
    public static func checkpointAltered(_ digest: String) -> LedgerViolation {
        LedgerViolation(.checkpointAltered, "checkpoint \(digest) was altered: its stored heads no longer give its digest")
    }
}

extension LedgerCheckpoint {
    /// The stored checkpoint named by `digest`, checked against it.
    /// - Parameter text: the stored text of the checkpoint with that digest, if any.
    public static func proven(digest: String, text: String?) -> Result<LedgerCheckpoint, LedgerViolation> {
        guard let text else { return .failure(.checkpointMissing(digest)) }
        guard let checkpoint = LedgerCheckpoint(text: text), checkpoint.digest == digest else { return .failure(.checkpointAltered(digest)) }
        return .success(checkpoint)
    }
}
