/// The ledger kernel: pure functions from a request and the state a backend loaded to a
/// decision and its effects. It reads no clock, makes no ids and touches no database; the
/// backends load state, call it, and persist `LedgerEffects` in their batches.
public enum Kernel {
    /// The ids one call may give its rows, made by the caller (off any hot thread): the
    /// decision's (a transfer it carries takes its id from it, `DecisionTransfer`); the rare
    /// ones — a period roll, a grant expiry, netting, a reversal — only when needed, by `next`.
    public struct Ids: Sendable {
        public var decision: String
        /// Makes another id of the call, with the prefix given (`txn`, `dec`).
        public var next: @Sendable (_ prefix: String) -> String

        public init(decision: String, next: @escaping @Sendable (_ prefix: String) -> String) {
            self.decision = decision
            self.next = next
        }
    }
}

extension Kernel {
    /// What a call needs loaded beyond its workspace, its action's cost, its budgets and the
    /// system balances, decided from the workspace alone before the kernel runs, so that
    /// the kernel reads nothing while it decides: the open holds when one may have expired,
    /// and the open grants when credits may be drawn, expired or given back.
    public struct Needs: Sendable, Equatable {
        public var holds: Bool
        public var grants: Bool

        public init(holds: Bool, grants: Bool) {
            self.holds = holds
            self.grants = grants
        }
    }

    /// The one rule of what to load (`Needs`): a call draws credits only from a wallet that
    /// holds some, and a settled hold may first put some back.
    public static func needs(_ state: WorkspaceState, nowMillis: Int64) -> Needs {
        let holds = state.nextHoldExpiryAtMillis.map { $0 <= nowMillis } ?? false
        return Needs(holds: holds, grants: holds || !state.wallet.isZero || state.hasExpiredGrants(nowMillis: nowMillis))
    }

    /// An input the kernel needed and the backend did not load, against `needs`: a bug.
    public enum MissingInput: Error {
        case grants
    }
}

/// What one call changes, for a backend to write in the same database transaction.
public struct LedgerEffects: Sendable {
    /// The workspace after the call, its chain head moved to the decision's hash.
    public var workspace: WorkspaceState
    /// The grants after the call; `nil` when none were loaded (none changed).
    public var grants: OpenGrants?
    /// Budgets whose use changed.
    public var budgets: [StoredBudget]
    /// In order: a period roll, a grant expiry, the call's own transaction, netting.
    public var transactions: [PendingTransaction]
    public var decision: ChainedDecision
    /// Decisions the call settled on the way, chained before `decision` (the expiry of a
    /// hold whose time ran out).
    public var settled: [ChainedDecision] = []
    /// Holds the call changed (settled ones), for the backend to store.
    public var holds: [HoldRecord] = []
    /// Alerts for the outbox.
    public var events: [EventDraft]
    /// An auto top-up attempt the call started (`AutoTopup.trigger`), for the outbox.
    public var autoTopupStart: AutoTopup.Start?

    /// Every decision to append, in chain order.
    public var decisions: [ChainedDecision] { settled + [decision] }

    public init(workspace: WorkspaceState, grants: OpenGrants?, budgets: [StoredBudget], transactions: [PendingTransaction], decision: ChainedDecision, events: [EventDraft]) {
        self.workspace = workspace
        self.grants = grants
        self.budgets = budgets
        self.transactions = transactions
        self.decision = decision
        self.events = events
    }
}

/// A decision with its place in its workspace's hash chain.
public struct ChainedDecision: Sendable, Equatable {
    public var record: DecisionRecord
    /// The chain hash's 32 bytes (what SQLite stores) and their hex (the workspace's head,
    /// and what PostgreSQL stores). The previous hash is the head before: not kept.
    public var digest: [UInt8]
    public var hash: String

    /// Links `record` after the workspace's head and moves the head to it: the one chain
    /// rule, a chain per workspace.
    public static func link(_ record: DecisionRecord, onto state: inout WorkspaceState) -> ChainedDecision {
        let digest = record.chainDigest(previous: state.decisionHead)
        let hash = Hex.encode(digest)
        state.decisionHead = hash
        return ChainedDecision(record: record, digest: digest, hash: hash)
    }
}
